namespace ARouter.Tests.Infrastructure;

/// <summary>
/// Finds a server binary that comes from a Debian package (initdb, redis-server, chromium).
/// On a developer machine without it the tests that need it are skipped with the reason; under
/// <c>CI=true</c>, where <c>.ci/run</c> installs the packages, a missing binary fails the test instead,
/// so CI never passes by silently skipping.
/// </summary>
public static class ExternalBinary
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The first existing path among <paramref name="candidates"/> (globs allowed in the directory part, e.g. /usr/lib/postgresql/*/bin/initdb), then PATH.</summary>
    public static string? Find(string name, params string[] candidates)
    {
        foreach (var candidate in candidates)
        {
            // The highest match, e.g. the newest PostgreSQL version.
            if (Matches(candidate).Order(StringComparer.Ordinal).LastOrDefault() is { } match) return match;
        }
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    private static readonly EnumerationOptions OneLevel = new() { IgnoreInaccessible = true, RecurseSubdirectories = false };

    /// <summary>
    /// The files an absolute path with globbed directories names, expanded one directory level at a time: a walk of the
    /// whole tree under the first glob (/usr/lib/* is most of the system) took minutes.
    /// </summary>
    private static IEnumerable<string> Matches(string pattern)
    {
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        IEnumerable<string> directories = ["/"];
        foreach (var segment in segments[..^1])
        {
            directories = segment.Contains('*')
                ? directories.SelectMany(directory => Directory.EnumerateDirectories(directory, segment, OneLevel))
                : directories.Select(directory => Path.Combine(directory, segment)).Where(Directory.Exists);
        }
        return directories.Select(directory => Path.Combine(directory, segments[^1])).Where(File.Exists);
    }

    /// <summary>The skip reason for a test that needs <paramref name="package"/>, or null when it can run (or must run, under CI).</summary>
    public static string? SkipReason(string? foundPath, string package) =>
        foundPath is not null || InCi ? null : $"needs the Debian package '{package}' (apt-get install {package}; .ci/run installs it)";
}

/// <summary>A fact that needs a binary from a Debian package; see <see cref="ExternalBinary"/>.</summary>
public abstract class NeedsBinaryFactAttribute : FactAttribute
{
    protected NeedsBinaryFactAttribute(string? foundPath, string package) => Skip = ExternalBinary.SkipReason(foundPath, package);
}

/// <summary>A theory that needs a binary from a Debian package; see <see cref="ExternalBinary"/>.</summary>
public abstract class NeedsBinaryTheoryAttribute : TheoryAttribute
{
    protected NeedsBinaryTheoryAttribute(string? foundPath, string package) => Skip = ExternalBinary.SkipReason(foundPath, package);
}
