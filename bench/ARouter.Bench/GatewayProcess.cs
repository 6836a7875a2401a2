using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace ARouter.Bench;

/// <summary>
/// The gateway as an operator runs it: the Release build in its own process, SQLite in a temp directory,
/// the OpenAI provider pointed at the fake upstream, and an account created through the admin API.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;

    public int Port { get; }
    public int Pid => _process.Id;
    public string Key { get; private set; } = "";
    public string LogFile { get; }

    private GatewayProcess(Process process, int port, string logFile)
    {
        _process = process;
        Port = port;
        LogFile = logFile;
    }

    public static async Task<GatewayProcess> StartAsync(string gatewayDll, string workDir, int port, int upstreamPort, IReadOnlyDictionary<string, string> extraEnvironment)
    {
        var adminToken = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var logFile = Path.Combine(workDir, "gateway.log");
        // exec keeps the pid, so /proc/<pid> is the gateway itself; its log goes to a file, as a service's would.
        // A .dll runs on dotnet; anything else is a native (ahead-of-time compiled) arouter.
        // The dotnet running this (the benchmark, or a test host started as 'dotnet exec'), so PATH need not have one.
        var dotnet = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var command = gatewayDll.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? $"'{dotnet}' '{gatewayDll}'" : $"'{gatewayDll}'";
        var start = new ProcessStartInfo("/bin/sh", ["-c", $"exec {command} serve --urls http://127.0.0.1:{port} > '{logFile}' 2>&1"])
        {
            WorkingDirectory = workDir,
            UseShellExecute = false,
        };
        start.Environment["AROUTER_DATABASE"] = $"Data Source={Path.Combine(workDir, "bench.db")}";
        start.Environment["AROUTER_ADMIN_TOKEN"] = adminToken;
        start.Environment["OPENAI_API_KEY"] = "sk-bench-upstream";
        start.Environment["OPENAI_BASE_URL"] = $"http://127.0.0.1:{upstreamPort}";
        // The benchmark measures cost, not the rate limiter's refusals: give the key a limit it cannot reach.
        start.Environment["AROUTER__LIMITS__DEFAULTREQUESTS"] = "1000000000";
        start.Environment["AROUTER__LIMITS__DEFAULTINTERVALSECONDS"] = "1";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in extraEnvironment) start.Environment[name] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the gateway");
        var gateway = new GatewayProcess(process, port, logFile);
        await gateway.WaitReadyAsync();
        await gateway.CreateAccountAsync(adminToken);
        return gateway;
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the gateway exited ({_process.ExitCode}); see {LogFile}");
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{Port}/health/ready")).IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"the gateway did not become ready; see {LogFile}");
    }

    private async Task CreateAccountAsync(string adminToken)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{Port}/api/v1/admin/accounts")
        {
            Content = JsonContent.Create(new { name = "bench", credits = 1_000_000 }),
        };
        request.Headers.Authorization = new("Bearer", adminToken);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"creating the account failed: {(int)response.StatusCode} {body}");
        Key = JsonDocument.Parse(body).RootElement.GetProperty("key").GetProperty("key").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
