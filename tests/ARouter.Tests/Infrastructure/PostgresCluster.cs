using System.Diagnostics;
using System.Runtime.InteropServices;
using Npgsql;

namespace ARouter.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run: <c>initdb</c> into a temp folder (as an unprivileged
/// user when the tests run as root, which PostgreSQL requires), the postmaster on a free loopback port with
/// its unix socket in that folder, and a fresh database per test. It stops when the test process exits —
/// on a normal exit through <see cref="AppDomain.ProcessExit"/>, and if the process is killed because the
/// kernel sends the postmaster SIGQUIT (parent-death signal); a folder left by a killed run is removed by the next.
/// </summary>
public sealed class PostgresCluster
{
    public static readonly string? InitDb = ExternalBinary.Find("initdb", "/usr/lib/postgresql/*/bin/initdb");

    /// <summary>Why PostgreSQL tests cannot run here, or null when they can (or must, under CI).</summary>
    public static string? SkipReason => ExternalBinary.SkipReason(InitDb, "postgresql");

    private const string FolderPrefix = "arouter-pg-";
    private const int SigQuit = 3;
    private static readonly Lazy<Task<PostgresCluster>> Shared = new(() => Task.Run(StartAsync));

    private readonly string _root;
    private readonly string _bin;
    private readonly Process _postmaster;
    private readonly NpgsqlDataSource _admin;

    private PostgresCluster(string root, string bin, int port, Process postmaster)
    {
        _root = root;
        _bin = bin;
        Port = port;
        _postmaster = postmaster;
        _admin = NpgsqlDataSource.Create(ConnectionString("postgres") + ";Maximum Pool Size=4");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    public int Port { get; }

    public static Task<PostgresCluster> GetAsync() => Shared.Value;

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Timeout=30;Command Timeout=120;Maximum Pool Size=20";

    /// <summary>A new empty database; returns its name.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "arouter_" + Guid.NewGuid().ToString("n");
        await using var create = _admin.CreateCommand($"CREATE DATABASE {name}");
        await create.ExecuteNonQueryAsync();
        return name;
    }

    public async Task DropDatabaseAsync(string name)
    {
        NpgsqlConnection.ClearAllPools();
        await using var drop = _admin.CreateCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Everything a database holds, as <c>pg_dump</c> writes it (schema and rows, plain SQL).</summary>
    public async Task<string> DumpAsync(string database)
    {
        var dump = await RunAsync([Path.Combine(_bin, "pg_dump"), "-h", "127.0.0.1", "-p", Port.ToString(), "-U", "postgres", "-d", database]);
        if (dump.ExitCode != 0) throw new InvalidOperationException($"pg_dump failed ({dump.ExitCode}): {dump.Output}");
        return dump.Output;
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        if (InitDb is null) throw new InvalidOperationException("initdb not found: install the Debian package 'postgresql' (.ci/run does under CI).");
        RemoveFoldersOfDeadRuns();
        // /usr/local/bin/initdb may be a link into /usr/lib/postgresql/N/bin, where postgres lives beside it.
        var bin = Path.GetDirectoryName(new FileInfo(InitDb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? InitDb)!;
        var user = geteuid() == 0 ? UnprivilegedUser() : null;

        var root = Path.Combine(Path.GetTempPath(), FolderPrefix + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(root);
        // The unprivileged user creates the data folder, socket and log in here (chmod: the umask does not apply).
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(root, (UnixFileMode)0b111_111_111);
        await File.WriteAllTextAsync(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString());
        var data = Path.Combine(root, "data");

        var init = await RunAsync(As(user, InitDb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"));
        if (init.ExitCode != 0) throw new InvalidOperationException($"initdb failed ({init.ExitCode}): {init.Output}");

        for (var attempt = 1; ; attempt++)
        {
            var port = Loopback.FreePort();
            var postmaster = StartPostmaster(user, Path.Combine(bin, "postgres"), data, root, port);
            var cluster = new PostgresCluster(root, bin, port, postmaster);
            if (await cluster.WaitUntilReadyAsync()) return cluster;
            cluster.Stop(deleteFolder: false);
            // Another process may have taken the port between probing and binding: try another one.
            if (attempt == 3) throw new InvalidOperationException($"PostgreSQL did not start: {await File.ReadAllTextAsync(Path.Combine(root, "postgres.log"))}");
        }
    }

    private async Task<bool> WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (_postmaster.HasExited) return false;
            try
            {
                await using var probe = _admin.CreateCommand("SELECT 1");
                await probe.ExecuteScalarAsync();
                return true;
            }
            catch (NpgsqlException)
            {
                await Task.Delay(200);
            }
        }
        return false;
    }

    /// <summary>
    /// Started from a thread that lives as long as the test process, because the parent-death signal
    /// fires when the forking thread ends, not only the process.
    /// </summary>
    private static Process StartPostmaster(string? user, string postgres, string data, string root, int port)
    {
        var log = Path.Combine(root, "postgres.log");
        var settings = string.Join(' ', new[]
        {
            "listen_addresses=127.0.0.1", $"port={port}", $"unix_socket_directories={root}", "max_connections=400",
            "shared_buffers=32MB", "fsync=off", "synchronous_commit=off", "full_page_writes=off", "log_min_messages=warning",
        }.Select(s => "-c " + s));
        // setpriv: drop to the unprivileged user (when root) and ask for SIGQUIT (immediate shutdown) if this process dies.
        var arguments = new List<string>();
        if (user is not null) arguments.AddRange(["--reuid", user, "--regid", user, "--init-groups"]);
        arguments.AddRange(["--pdeathsig", "QUIT", "--", "/bin/sh", "-c", $"exec '{postgres}' -D '{data}' {settings} >>'{log}' 2>&1"]);

        Process? started = null;
        Exception? failure = null;
        using var ready = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            try
            {
                var info = new ProcessStartInfo("setpriv") { UseShellExecute = false };
                foreach (var argument in arguments) info.ArgumentList.Add(argument);
                started = Process.Start(info);
            }
            catch (Exception e)
            {
                failure = e;
            }
            ready.Set();
            Thread.Sleep(Timeout.Infinite);
        }) { IsBackground = true, Name = "postgres parent" };
        thread.Start();
        ready.Wait();
        return started ?? throw new InvalidOperationException("Could not start postgres.", failure);
    }

    private void Stop() => Stop(deleteFolder: true);

    private void Stop(bool deleteFolder)
    {
        try
        {
            if (!_postmaster.HasExited)
            {
                _ = kill(_postmaster.Id, SigQuit);
                if (!_postmaster.WaitForExit(10_000)) _postmaster.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
        // The test host is ended moments after ProcessExit starts: a separate rm outlives it.
        if (deleteFolder) Process.Start(new ProcessStartInfo("rm", ["-rf", _root]) { UseShellExecute = false })?.Dispose();
    }

    /// <summary>Removes the folders of earlier runs whose test process is gone (their postmaster died with it).</summary>
    private static void RemoveFoldersOfDeadRuns()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var owner = Path.Combine(folder, "owner.pid");
            if (File.Exists(owner) && int.TryParse(File.ReadAllText(owner), out var pid) && IsAlive(pid)) continue;
            if (File.Exists(owner) || Directory.GetLastWriteTimeUtc(folder) < DateTime.UtcNow.AddHours(-1)) TryDelete(folder);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string folder)
    {
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>PostgreSQL refuses to run as root: use the Debian package's <c>postgres</c> user, or make a system user.</summary>
    private static string UnprivilegedUser()
    {
        foreach (var name in new[] { "postgres", "arouter-test" })
            if (File.ReadLines("/etc/passwd").Any(line => line.StartsWith(name + ":", StringComparison.Ordinal))) return name;
        var created = RunAsync(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "arouter-test"]).GetAwaiter().GetResult();
        if (created.ExitCode != 0) throw new InvalidOperationException($"useradd arouter-test failed: {created.Output}");
        return "arouter-test";
    }

    private static string[] As(string? user, params string[] command) =>
        user is null ? command : ["setpriv", "--reuid", user, "--regid", user, "--init-groups", "--", .. command];

    private static async Task<(int ExitCode, string Output)> RunAsync(string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var argument in command.Skip(1)) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    private static extern uint geteuid();
}
