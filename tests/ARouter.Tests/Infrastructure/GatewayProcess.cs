using System.Diagnostics;

namespace ARouter.Tests.Infrastructure;

/// <summary>
/// The gateway as its own process (<c>dotnet arouter.dll serve</c>), configured through the environment as an
/// operator would, so a test can kill it outright — no graceful shutdown, no drained queues.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;

    private GatewayProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
        Client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseAddress { get; }
    public HttpClient Client { get; }

    public static async Task<GatewayProcess> StartAsync(IReadOnlyDictionary<string, string?> configuration)
    {
        var port = Loopback.FreePort();
        // The same dotnet that runs the tests (the test host is started as 'dotnet exec testhost.dll').
        var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "arouter.dll"), "serve", "--urls", $"http://127.0.0.1:{port}" }) start.ArgumentList.Add(argument);
        foreach (var (key, value) in configuration) start.Environment[key.Replace(":", "__")] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("the gateway process did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var gateway = new GatewayProcess(process, new Uri($"http://127.0.0.1:{port}"));
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"the gateway process exited with {process.ExitCode}");
            try
            {
                using var ready = await gateway.Client.GetAsync("/health/ready");
                if (ready.IsSuccessStatusCode) return gateway;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        await gateway.DisposeAsync();
        throw new TimeoutException("the gateway process was not ready within 90 s");
    }

    /// <summary>SIGKILL: the process gets no chance to finish anything.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Client.Dispose();
        _process.Dispose();
    }
}
