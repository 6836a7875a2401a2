using System.Diagnostics;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Cli;

/// <summary>
/// <c>arouter</c> published ahead of time (<c>dotnet publish -c Release -r linux-x64 -p:PublishAot=true</c>, as the
/// README says), once per test run, into a temporary directory — or the one <c>AROUTER_TEST_AOT_BINARY</c> names. The
/// native compiler links with clang against the system zlib (Debian packages <c>clang</c> and <c>zlib1g-dev</c>, which
/// <c>.ci/run</c> installs).
/// </summary>
public sealed class AheadOfTimeBuild : IAsyncLifetime
{
    /// <summary>clang, when the system zlib it links against is there too.</summary>
    public static readonly string? Clang = ExternalBinary.Find("libz.so", "/usr/lib/*-linux-gnu/libz.so", "/usr/lib64/libz.so") is null ? null : ExternalBinary.Find("clang", "/usr/bin/clang");

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arouter-tests", "aot-" + Guid.NewGuid().ToString("n"));

    /// <summary>Set by <c>.ci/run</c>, which publishes before the tests so the native compiler does not compete with them for the cores.</summary>
    private static readonly string? Prebuilt = Environment.GetEnvironmentVariable("AROUTER_TEST_AOT_BINARY");

    public string Executable => Prebuilt ?? PublishedExecutable(_directory);

    private static string PublishedExecutable(string artifacts) => Path.Combine(artifacts, "publish", "ARouter", "release_linux-x64", "arouter");

    public async Task InitializeAsync()
    {
        if (Prebuilt is not null || Clang is null) return;
        var project = Path.Combine(Repository.Root(), "src", "ARouter", "ARouter.csproj");
        // Its own artifacts path: the tests' build output and intermediate files stay untouched.
        var start = new ProcessStartInfo("dotnet", ["publish", project, "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "--artifacts-path", _directory, "-nologo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var publish = Process.Start(start)!;
        var output = publish.StandardOutput.ReadToEndAsync();
        var errors = publish.StandardError.ReadToEndAsync();
        await publish.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(15));
        if (publish.ExitCode != 0 || !File.Exists(Executable))
            throw new InvalidOperationException($"dotnet publish -p:PublishAot=true failed ({publish.ExitCode}):\n{await output}\n{await errors}");
    }

    public Task DisposeAsync()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

}

public sealed class NeedsClangFactAttribute() : NeedsBinaryFactAttribute(AheadOfTimeBuild.Clang, "clang zlib1g-dev");

/// <summary>Also needs the servers a multi-instance deployment runs on (Debian's postgresql and redis-server).</summary>
public sealed class NeedsClangPostgresAndRedisFactAttribute : FactAttribute
{
    public NeedsClangPostgresAndRedisFactAttribute() =>
        Skip = ExternalBinary.SkipReason(AheadOfTimeBuild.Clang, "clang zlib1g-dev") ?? PostgresCluster.SkipReason ?? ExternalBinary.SkipReason(RedisServer.Binary, "redis-server");
}
