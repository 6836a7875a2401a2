using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace ARouter.Tests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> on a free loopback port, without persistence, owned by one test fixture.
/// It can be stopped (killed) and started again on the same port, as an operator's Redis that goes away and comes back.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    public static readonly string? Binary = ExternalBinary.Find("redis-server", "/usr/bin/redis-server", "/usr/local/bin/redis-server");

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arouter-tests", "redis-" + Guid.NewGuid().ToString("n"));
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }
    /// <summary>What <c>AROUTER_REDIS</c> is set to.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        if (Binary is null) throw new InvalidOperationException("redis-server is not installed (apt-get install redis-server).");
        var server = new RedisServer(Loopback.FreePort());
        Directory.CreateDirectory(server._directory);
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Binary!)
        {
            WorkingDirectory = _directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory, "--protected-mode", "no", "--daemonize", "no" })
            start.ArgumentList.Add(argument);
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}.");
            if (await PingAsync()) return;
            await Task.Delay(50);
        }
        throw new TimeoutException("redis-server did not answer PING within 30 s.");
    }

    /// <summary>Kills the server at once, as a crash or a network cut would; its data is gone.</summary>
    public async Task StopAsync()
    {
        if (_process is null) return;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    /// <summary>SIGSTOP: the server keeps its connections open but answers nothing, as a hung or overloaded Redis.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        if (_process is null) return;
        using var kill = Process.Start("kill", [signal, _process.Id.ToString()]);
        await kill.WaitForExitAsync();
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(2));
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// A fact that starts a real redis-server: skipped locally without the package (or without PostgreSQL, in a
/// class marked <see cref="RunsOnPostgresAttribute"/>), failing under CI.
/// </summary>
[XunitTestCaseDiscoverer("ARouter.Tests.Infrastructure.RedisFactDiscoverer", "ARouter.Tests")]
public sealed class NeedsRedisFactAttribute : FactAttribute;

public sealed class RedisFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    private readonly IMessageSink _sink = sink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo factAttribute) =>
        (ExternalBinary.SkipReason(RedisServer.Binary, "redis-server") ?? EngineSkip.For(method)) is { } reason
            ? [EngineSkip.Skipped(_sink, options, method, reason)]
            : base.Discover(options, method, factAttribute);
}
