using System.Text;
using System.Text.Json;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;
using GatewayProcess = ARouter.Tests.Cli.GatewayProcess;
using Microsoft.Data.Sqlite;

namespace ARouter.Tests.Observability;

/// <summary>
/// The stdout log of <c>arouter serve</c> as an operator reads it: the line format, JSON when configured, level
/// filters from the environment, every line written by a clean stop, and no key or prompt in any line.
/// </summary>
public sealed class ConsoleLogTests : IAsyncLifetime
{
    private const string Model = "openai/gpt-5.4";
    private const string PromptCanary = "CANARY-PROMPT-c0n5013";
    private const string CompletionCanary = "CANARY-COMPLETION-5d0ut";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arouter-tests", "console-" + Guid.NewGuid().ToString("n"));
    private FakeProviders _fakes = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _fakes = await FakeProviders.StartAsync();
        _fakes.Script("openai", FakeScript.Default with { Reply = CompletionCanary + " hello" });
    }

    public async Task DisposeAsync()
    {
        await _fakes.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private Task<GatewayProcess> StartAsync(params (string Name, string Value)[] settings)
    {
        var environment = new Dictionary<string, string?>(_fakes.GatewayConfiguration());
        foreach (var (name, value) in settings) environment[name] = value;
        return GatewayProcess.StartAsync(Path.Combine(_directory, "arouter.db"), environment);
    }

    private static async Task<int> ChatAsync(GatewayProcess gateway, string key, string? query = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions" + query)
        {
            Content = new StringContent(GatewayWithFakes.ChatBody(Model, maxTokens: 100, prompt: PromptCanary), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", key);
        using var response = await gateway.Client.SendAsync(request);
        await response.Content.ReadAsStringAsync();
        return (int)response.StatusCode;
    }

    private static async Task StopAsync(GatewayProcess gateway)
    {
        gateway.Terminate();
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));
    }

    private static List<string> RequestLines(string output) => output.Split('\n').Where(l => l.TrimStart().StartsWith("Request req_", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task Every_request_line_logged_before_a_SIGTERM_is_on_stdout_when_the_process_has_exited()
    {
        const int Requests = 60;
        // Batches that wait 10 s for more lines (the start lines come out after that): the request lines, logged just
        // before the SIGTERM, are written only because the stop writes what is queued.
        var gateway = await StartAsync(("Logging__Console__FlushDelayMilliseconds", "10000"));
        await using (gateway)
        {
            var account = await gateway.CreateAccountAsync(1m);
            await Task.WhenAll(Enumerable.Range(0, Requests).Select(async _ => Assert.Equal(200, await ChatAsync(gateway, account.Key))));
            await StopAsync(gateway);
            var output = gateway.Output;

            var lines = RequestLines(output);
            Assert.Equal(Requests, lines.Count(l => l.Contains($" {Model} provider openai status 200 ", StringComparison.Ordinal)));
            Assert.All(lines, l => Assert.StartsWith("      Request req_", l));
            // The default console format: a "level: category[event id]" line, then the message indented.
            Assert.Contains("info: ARouter.Endpoints[1000]\n      Request req_", output);
            Assert.Contains("info: Microsoft.Hosting.Lifetime[0]\n      Application is shutting down...", output);
            Assert.DoesNotContain(account.Key, output);
            Assert.DoesNotContain(PromptCanary, output);
            Assert.DoesNotContain(CompletionCanary, output);
        }
    }

    [Fact]
    public async Task A_request_line_reaches_stdout_while_the_gateway_keeps_running()
    {
        await using var gateway = await StartAsync();
        var account = await gateway.CreateAccountAsync(1m);
        Assert.Equal(200, await ChatAsync(gateway, account.Key));
        await Poll.UntilAsync(() => RequestLines(gateway.Output).Count == 1, TimeSpan.FromSeconds(30));
        Assert.False(gateway.HasExited);
    }

    [Fact]
    public async Task With_the_json_formatter_each_line_is_one_object_with_the_request_fields_under_State()
    {
        var gateway = await StartAsync(("Logging__Console__FormatterName", "json"));
        await using (gateway)
        {
            var account = await gateway.CreateAccountAsync(1m);
            Assert.Equal(200, await ChatAsync(gateway, account.Key));
            Assert.Equal(401, await ChatAsync(gateway, "lr_live_not-a-key-at-all-0000000000"));
            await StopAsync(gateway);
        }
        var objects = gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        var requests = objects.Where(o => o.GetProperty("EventId").GetInt32() == 1000).ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.Equal("Information", r.GetProperty("LogLevel").GetString());
            Assert.Equal("ARouter.Endpoints", r.GetProperty("Category").GetString());
            Assert.StartsWith("Request req_", r.GetProperty("Message").GetString());
        });
        var ok = requests.Single(r => r.GetProperty("State").GetProperty("Status").GetInt32() == 200).GetProperty("State");
        Assert.Equal(Model, ok.GetProperty("Model").GetString());
        Assert.Equal("openai", ok.GetProperty("Provider").GetString());
        Assert.True(ok.GetProperty("CostNanos").GetInt64() > 0);
        Assert.Equal("-", requests.Single(r => r.GetProperty("State").GetProperty("Status").GetInt32() == 401).GetProperty("State").GetProperty("KeyPrefix").GetString());
    }

    [Fact]
    public async Task At_Trace_no_key_query_string_or_prompt_reaches_stdout_and_a_category_set_to_Warning_writes_no_request_line()
    {
        var gateway = await StartAsync(("Logging__LogLevel__Default", "Trace"), ("Logging__LogLevel__Microsoft", "Trace"), ("Logging__LogLevel__ARouter.Endpoints", "Warning"));
        string key;
        await using (gateway)
        {
            var account = await gateway.CreateAccountAsync(1m);
            Assert.Equal(200, await ChatAsync(gateway, account.Key, "?key=" + account.Key));
            await StopAsync(gateway);
            key = account.Key;
        }
        var output = gateway.Output;
        Assert.DoesNotContain(key, output);
        Assert.Contains("dbug: ", output); // Trace is really on
        Assert.Empty(RequestLines(output));
        Assert.DoesNotContain("?key=", output);
        Assert.DoesNotContain(PromptCanary, output);
        Assert.DoesNotContain(CompletionCanary, output);
    }
}
