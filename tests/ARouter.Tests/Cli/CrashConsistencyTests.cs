using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ARouter.Billing;
using ARouter.Dialects.Sse;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace ARouter.Tests.Cli;

/// <summary>
/// <c>arouter serve</c> killed mid-load (SIGKILL) or stopped (SIGTERM) and started again on the same SQLite file:
/// every cost a client was shown is in the ledger, nothing is held, the file is intact.
/// </summary>
public sealed class CrashConsistencyTests : IAsyncLifetime
{
    private const string Model = "openai/gpt-5.4";
    private const decimal Credits = 1m;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arouter-tests", "crash-" + Guid.NewGuid().ToString("n"));
    private FakeProviders _fakes = null!;

    private string DatabasePath => Path.Combine(_directory, "arouter.db");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _fakes = await FakeProviders.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _fakes.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private Task<GatewayProcess> StartGatewayAsync() => GatewayProcess.StartAsync(DatabasePath, _fakes.GatewayConfiguration());

    /// <summary>What one client saw: the generation id and the cost its response carried, if it got that far.</summary>
    private sealed record Seen(string GenerationId, decimal Cost, bool Streamed, bool Finished, bool ErrorEvent);

    [Fact]
    public async Task After_a_kill_mid_load_every_cost_a_client_saw_is_charged_nothing_stays_held_and_the_database_is_intact()
    {
        _fakes.Script("openai", FakeScript.Default with { Delay = TimeSpan.FromMilliseconds(20), Chunks = 8, ChunkDelay = TimeSpan.FromMilliseconds(15) });
        TestAccount account;
        var seen = new ConcurrentBag<Seen>();
        await using (var gateway = await StartGatewayAsync())
        {
            account = await gateway.CreateAccountAsync(Credits);
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 12).Select(w => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        await ChatAsync(gateway.Client, account.Key, stream: (w + i) % 2 == 0, maxTokens: 1_000, stop.Token, onCost: seen.Add);
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
                    {
                        if (gateway.HasExited) return;
                    }
                }
            })).ToList();

            // Kill it while requests are in every stage: reserving, streaming, settling.
            await Poll.UntilAsync(() => seen.Count >= 40, TimeSpan.FromSeconds(60));
            await gateway.KillAsync();
            stop.Cancel();
            await Task.WhenAll(workers);
        }

        Assert.Equal("ok", IntegrityCheck());
        await using (var restarted = await StartGatewayAsync())
        {
            await AssertLedgerMatchesAsync(restarted, account, seen.ToList());
            await AssertNothingIsHeldAsync(restarted, account);
        }
        Assert.Equal("ok", IntegrityCheck());
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    public async Task A_SIGTERM_lets_in_flight_streams_finish_or_end_them_with_an_error_event_and_flushes_every_settle(int? graceSeconds)
    {
        // Each stream takes about five seconds: longer than System.CommandLine's own two-second termination grace,
        // shorter than the gateway's default 25 s, longer than a 1 s grace.
        _fakes.Script("openai", FakeScript.Default with { Chunks = 50, ChunkDelay = TimeSpan.FromMilliseconds(100) });
        var environment = new Dictionary<string, string?>(_fakes.GatewayConfiguration());
        if (graceSeconds is { } grace) environment["AROUTER__SHUTDOWN__DRAINSECONDS"] = grace.ToString(CultureInfo.InvariantCulture);
        TestAccount account;
        List<Seen> seen;
        await using (var gateway = await GatewayProcess.StartAsync(DatabasePath, environment))
        {
            account = await gateway.CreateAccountAsync(Credits);
            using var firstChunks = new CountdownEvent(8);
            var streams = Enumerable.Range(0, 8).Select(_ => ChatAsync(gateway.Client, account.Key, stream: true, maxTokens: 1_000, CancellationToken.None, () => firstChunks.Signal())).ToList();
            await Poll.UntilAsync(() => firstChunks.IsSet, TimeSpan.FromSeconds(60));

            gateway.Terminate();
            var results = await Task.WhenAll(streams.Select(async s =>
            {
                try { return await s; }
                catch (Exception e) when (e is HttpRequestException or IOException) { return null; }
            }));
            await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

            // Every stream carried its usage and cost, then either finished ([DONE]) or ended with an error event: never a silent cut.
            Assert.All(results, r => Assert.NotNull(r));
            if (graceSeconds is null) Assert.All(results, r => Assert.True(r!.Finished, $"stream {r.GenerationId} did not finish"));
            else Assert.All(results, r => Assert.True(r!.ErrorEvent, $"stream {r.GenerationId} did not end with an error event"));
            Assert.Equal(0, gateway.ExitCode);
            seen = results.Select(r => r!).ToList();
        }

        Assert.Equal("ok", IntegrityCheck());
        await using var restarted = await StartGatewayAsync();
        await AssertLedgerMatchesAsync(restarted, account, seen);
        await AssertNothingIsHeldAsync(restarted, account);
    }

    /// <summary>Every cost a client saw is the charge of its generation; the balance is the credit minus the charges.</summary>
    private static async Task AssertLedgerMatchesAsync(GatewayProcess gateway, TestAccount account, List<Seen> seen)
    {
        var charges = await Transactions.ChargesAsync(path => gateway.GetJsonAsync(path, account.Key));

        Assert.NotEmpty(seen);
        foreach (var s in seen)
        {
            Assert.True(charges.TryGetValue(s.GenerationId, out var charged), $"{s.GenerationId} showed cost {s.Cost} to its client but is not in the ledger");
            Assert.Equal(s.Cost, charged);
        }
        var (_, balance) = await gateway.GetJsonAsync("/api/v1/balance", account.Key);
        Assert.Equal(Credits - charges.Values.Sum(), balance.GetProperty("data").GetProperty("balance").GetDecimal());
    }

    /// <summary>
    /// The whole balance is available again: a request whose worst case is too big is refused with exactly the
    /// balance available, and one sized to the largest max_tokens that balance covers is accepted.
    /// </summary>
    private static async Task AssertNothingIsHeldAsync(GatewayProcess gateway, TestAccount account)
    {
        var (_, balanceJson) = await gateway.GetJsonAsync("/api/v1/balance", account.Key);
        var balance = balanceJson.GetProperty("data").GetProperty("balance").GetDecimal();
        using var refused = await PostChatAsync(gateway.Client, account.Key, GatewayWithFakes.ChatBody(Model));
        Assert.Equal(402, (int)refused.StatusCode);
        var message = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains($"the account has ${Money.Format(balance)} available", message);
        var affordable = int.Parse(Regex.Match(message, @"max_tokens up to (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        using var accepted = await PostChatAsync(gateway.Client, account.Key, GatewayWithFakes.ChatBody(Model, maxTokens: affordable));
        Assert.Equal(200, (int)accepted.StatusCode);
    }

    private static async Task<HttpResponseMessage> PostChatAsync(HttpClient client, string key, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", key);
        return await client.SendAsync(request);
    }

    /// <summary>One request; what its client saw once the cost arrived, or null when it was refused.</summary>
    private static async Task<Seen?> ChatAsync(HttpClient client, string key, bool stream, int maxTokens, CancellationToken ct, Action? onFirstChunk = null, Action<Seen>? onCost = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(GatewayWithFakes.ChatBody(Model, stream, maxTokens), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", key);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!stream)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if ((int)response.StatusCode != 200) return null;
            using var json = JsonDocument.Parse(text);
            var whole = new Seen(json.RootElement.GetProperty("id").GetString()!, json.RootElement.GetProperty("usage").GetProperty("cost").GetDecimal(), false, true, false);
            onCost?.Invoke(whole);
            return whole;
        }
        if ((int)response.StatusCode != 200) return null;
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        Seen? seen = null;
        var first = true;
        await foreach (var e in SseReader.ReadAsync(body, () => ct))
        {
            if (first) onFirstChunk?.Invoke();
            first = false;
            var data = Encoding.UTF8.GetString(e.Data.Span);
            if (data == "[DONE]") return seen is null ? null : seen with { Finished = true };
            using var json = JsonDocument.Parse(data);
            if (json.RootElement.TryGetProperty("error", out _)) return seen is null ? null : seen with { ErrorEvent = true };
            if (json.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object && usage.TryGetProperty("cost", out var cost))
            {
                seen = new Seen(json.RootElement.GetProperty("id").GetString()!, cost.GetDecimal(), true, false, false);
                onCost?.Invoke(seen);
            }
        }
        return seen;
    }

    private string IntegrityCheck()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)command.ExecuteScalar()!;
    }
}
