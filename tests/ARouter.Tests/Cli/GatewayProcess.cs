using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ARouter.Tests.Cli;

/// <summary>
/// The built <c>arouter serve</c> as a child process, configured through its environment the way an operator
/// would, so a test can kill it (SIGKILL) or stop it (SIGTERM) and start it again on the same database.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private GatewayProcess(Process process)
    {
        _process = process;
        Client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }
    public Uri BaseAddress { get; private set; } = null!;
    public string Output => string.Join('\n', _output);
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <param name="listen">The <c>serve</c> options that say where to listen; by default a free port on 127.0.0.1.</param>
    /// <param name="executable">A native (ahead-of-time compiled) <c>arouter</c> to run instead of the built <c>arouter.dll</c>.</param>
    public static async Task<GatewayProcess> StartAsync(string databasePath, IReadOnlyDictionary<string, string?> environment, string[]? listen = null, string? executable = null)
    {
        string[] serve = ["serve", .. listen ?? ["--urls", "http://127.0.0.1:0"]];
        var start = new ProcessStartInfo(executable ?? DotnetHost(), executable is null ? [Path.Combine(AppContext.BaseDirectory, "arouter.dll"), .. serve] : serve)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(databasePath)!,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("AROUTER", StringComparison.Ordinal) || k.EndsWith("_API_KEY", StringComparison.Ordinal) || k.EndsWith("_BASE_URL", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        start.Environment["AROUTER_DATABASE"] = $"Data Source={databasePath}";
        start.Environment["AROUTER_ADMIN_TOKEN"] = GatewayHost.AdminToken;
        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in environment) start.Environment[name] = value;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var gateway = new GatewayProcess(process);
        process.OutputDataReceived += (_, e) => gateway.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.OnLine(e.Data);
        process.Exited += (_, _) => gateway._listening.TrySetException(new InvalidOperationException("arouter exited before listening:\n" + gateway.Output));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        gateway.BaseAddress = await gateway._listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        gateway.Client.BaseAddress = gateway.BaseAddress;
        return gateway;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        if (ListeningLine().Match(line) is { Success: true } match) _listening.TrySetResult(new Uri(match.Groups[1].Value));
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>SIGTERM, as a service manager or Kubernetes stops a process; returns once it has exited.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, 15) != 0) throw new InvalidOperationException($"kill(SIGTERM) failed: errno {Marshal.GetLastWin32Error()}");
    }

    public Task WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    public async Task<TestAccount> CreateAccountAsync(decimal credits)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/admin/accounts") { Content = JsonContent.Create(new { name = "crash", credits }) };
        request.Headers.Authorization = new("Bearer", GatewayHost.AdminToken);
        using var response = await Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return new TestAccount(json.RootElement.GetProperty("id").GetString()!, json.RootElement.GetProperty("key").GetProperty("key").GetString()!);
    }

    public async Task<(int Status, JsonElement Json)> GetJsonAsync(string path, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", key);
        using var response = await Client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, json.RootElement.Clone());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static string DotnetHost()
    {
        // The test host runs under the same dotnet that can run arouter.dll.
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // one blittable call; no marshalling for a generator to do
    private static extern int kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    // Plain or JSON lines: the address ends at a space or at the closing quote of a JSON string.
    [GeneratedRegex(@"Now listening on: (http://[^\s""]+)")]
    private static partial Regex ListeningLine();
}
