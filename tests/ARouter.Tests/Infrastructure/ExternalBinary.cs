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
            var directory = Path.GetDirectoryName(candidate)!;
            if (!directory.Contains('*'))
            {
                if (File.Exists(candidate)) return candidate;
                continue;
            }
            var root = directory[..directory.IndexOf('*')];
            root = root[..root.LastIndexOf('/')];
            if (!Directory.Exists(root)) continue;
            var match = Directory.EnumerateFiles(root, Path.GetFileName(candidate), SearchOption.AllDirectories)
                .Where(path => System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(candidate, path))
                .Order(StringComparer.Ordinal).LastOrDefault();
            if (match is not null) return match;
        }
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(directory, name);
            if (File.Exists(path)) return path;
        }
        return null;
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
