using System.Text.Json;
using ARouter.Dialects.Sse;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Hosting;

public sealed class SqliteGracefulShutdownTests() : GracefulShutdownTests(StoreEngine.Sqlite);

[RunsOnPostgres]
public sealed class PostgresGracefulShutdownTests() : GracefulShutdownTests(StoreEngine.Postgres);

/// <summary>
/// Stopping the gateway (what SIGTERM does) while a stream is in flight: the stream finishes, or — past the drain
/// time — ends with usage and an error event, never a cut; either way its charge is in the database after the stop.
/// </summary>
public abstract class GracefulShutdownTests(StoreEngine engine)
{
    [StoreTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_stream_in_flight_when_the_gateway_stops_ends_properly_and_its_charge_is_durable(bool pastTheDrain)
    {
        await using var fakes = await FakeProviders.StartAsync();
        var configuration = new Dictionary<string, string?>(fakes.GatewayConfiguration())
        {
            // Past the drain: a 1 s drain against a 40 s stream. Within it: a 1 s stream against a 60 s drain.
            ["ARouter:Shutdown:DrainSeconds"] = pastTheDrain ? "1" : "60",
        };
        fakes.Script("deepseek", FakeScript.Default with { Chunks = pastTheDrain ? 200 : 5, ChunkDelay = TimeSpan.FromMilliseconds(200), Reply = new string('x', 400) });
        var gateway = await GatewayHost.StartAsync(configuration, engine);
        GatewayHost? reopened = null;
        try
        {
            var account = await gateway.CreateAccountAsync(5);
            using var request = gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody("deepseek/deepseek-chat", stream: true));
            using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(200, (int)response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync();
            var events = new List<string>();
            Task? stopping = null;
            await foreach (var e in SseReader.ReadAsync(body, () => CancellationToken.None))
            {
                events.Add(System.Text.Encoding.UTF8.GetString(e.Data.Span));
                // Text has arrived: the stream is in flight and has generated something to charge. Stop the gateway now, as
                // SIGTERM would. (Not at the role chunk: on a loaded machine no text may come within the 1 s drain, and a
                // stream stopped before generating anything is rightly charged nothing.)
                if (stopping is null && HasText(events[^1])) stopping = gateway.StopAsync();
            }
            Assert.NotNull(stopping);
            await stopping.WaitAsync(TimeSpan.FromSeconds(90));

            var usageChunk = events.Where(e => e != "[DONE]").Select(Parse).Last(e => e.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object);
            var cost = usageChunk.GetProperty("usage").GetProperty("cost").GetDecimal();
            Assert.True(cost > 0);
            if (pastTheDrain)
            {
                Assert.DoesNotContain("[DONE]", events);
                var error = Parse(events[^1]).GetProperty("error");
                Assert.Contains("shutting down", error.GetProperty("message").GetString());
            }
            else
            {
                Assert.Equal("[DONE]", events[^1]);
            }

            // A new gateway on the same database sees the charge and the generation the stopped one settled.
            reopened = await GatewayHost.StartAsync(fakes.GatewayConfiguration(), database: gateway.Database);
            var (status, transactions) = await reopened.SendJsonAsync(HttpMethod.Get, "/api/v1/transactions", account.Key);
            Assert.Equal(200, status);
            var charge = Assert.Single(transactions.GetProperty("data").EnumerateArray(), t => t.GetProperty("type").GetString() == "charge");
            Assert.Equal(-cost, charge.GetProperty("amount").GetDecimal());
            Assert.Equal(usageChunk.GetProperty("id").GetString(), charge.GetProperty("generation_id").GetString());
            Assert.Equal(5 - cost, await reopened.BalanceAsync(account.Key));
            var (found, generation) = await reopened.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + charge.GetProperty("generation_id").GetString(), account.Key);
            Assert.Equal(200, found);
            Assert.Equal(pastTheDrain ? 503 : 200, generation.GetProperty("data").GetProperty("status").GetInt32());
        }
        finally
        {
            if (reopened is not null) await reopened.DisposeAsync();
            await gateway.DisposeAsync();
        }
    }

    [StoreFact]
    public async Task A_passthrough_stream_past_the_drain_is_closed_but_its_charge_is_durable()
    {
        await using var fakes = await FakeProviders.StartAsync();
        var configuration = new Dictionary<string, string?>(fakes.GatewayConfiguration()) { ["ARouter:Shutdown:DrainSeconds"] = "1" };
        fakes.Script("deepseek", FakeScript.Default with { Chunks = 200, ChunkDelay = TimeSpan.FromMilliseconds(200), Reply = new string('y', 400) });
        var gateway = await GatewayHost.StartAsync(configuration, engine);
        GatewayHost? reopened = null;
        try
        {
            var account = await gateway.CreateAccountAsync(5);
            using var request = gateway.Request(HttpMethod.Post, "/deepseek/chat/completions", account.Key,
                """{"model":"deepseek-chat","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");
            using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(200, (int)response.StatusCode);
            var generationId = response.Headers.GetValues("X-Generation-Id").Single();
            await using var body = await response.Content.ReadAsStreamAsync();
            Task? stopping = null;
            try
            {
                await foreach (var e in SseReader.ReadAsync(body, () => CancellationToken.None))
                    if (stopping is null && HasText(System.Text.Encoding.UTF8.GetString(e.Data.Span))) stopping = gateway.StopAsync();
            }
            catch (IOException)
            {
                // A native stream is relayed byte for byte: the gateway cannot add an error event to it, so it is closed.
            }
            Assert.NotNull(stopping);
            await stopping.WaitAsync(TimeSpan.FromSeconds(90));

            reopened = await GatewayHost.StartAsync(fakes.GatewayConfiguration(), database: gateway.Database);
            var (status, generation) = await reopened.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + generationId, account.Key);
            Assert.Equal(200, status);
            Assert.True(generation.GetProperty("data").GetProperty("completion_tokens").GetInt32() > 0);
            var (_, transactions) = await reopened.SendJsonAsync(HttpMethod.Get, "/api/v1/transactions", account.Key);
            var charge = Assert.Single(transactions.GetProperty("data").EnumerateArray(), t => t.GetProperty("type").GetString() == "charge");
            Assert.Equal(generationId, charge.GetProperty("generation_id").GetString());
            Assert.True(charge.GetProperty("amount").GetDecimal() < 0);
        }
        finally
        {
            if (reopened is not null) await reopened.DisposeAsync();
            await gateway.DisposeAsync();
        }
    }

    private static bool HasText(string data)
        => Parse(data) is { ValueKind: JsonValueKind.Object } chunk && chunk.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
            && choices[0].GetProperty("delta").TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 };

    private static JsonElement Parse(string data) => data == "[DONE]" ? default : JsonDocument.Parse(data).RootElement.Clone();
}
