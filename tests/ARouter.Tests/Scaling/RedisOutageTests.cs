using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Scaling;

public sealed class RedisOutageOnSqliteTests(TwoGatewaysOnSqlite fixture) : RedisOutageTests(fixture), IClassFixture<TwoGatewaysOnSqlite>;

[RunsOnPostgres]
public sealed class RedisOutageOnPostgresTests(TwoGatewaysOnPostgres fixture) : RedisOutageTests(fixture), IClassFixture<TwoGatewaysOnPostgres>;

/// <summary>Redis goes away mid-run and comes back: reservations fail closed in each dialect, nothing hangs or is charged, then everything is shared again.</summary>
public abstract class RedisOutageTests(TwoGateways fixture)
{
    private GatewayHost A => fixture.A;
    private GatewayHost B => fixture.B;

    /// <summary>A request against a hung Redis waits out two timed-out calls (measured: 5.0 s with a 2.5 s timeout), plus slack for a busy machine.</summary>
    private static readonly TimeSpan NoHang = 2 * TwoGateways.RedisOperationTimeout + TimeSpan.FromSeconds(3);

    private static string AnthropicBody => JsonSerializer.Serialize(new
    {
        model = TwoGateways.FlatModel, max_tokens = TwoGateways.FlatMaxTokens, messages = new[] { new { role = "user", content = "Say hello." } },
    });

    private static async Task<(int Status, JsonElement Json, TimeSpan Took)> TimedAsync(GatewayHost gateway, string path, string key, string body)
    {
        var clock = Stopwatch.StartNew();
        var (status, json) = await gateway.SendJsonAsync(HttpMethod.Post, path, key, body);
        return (status, json, clock.Elapsed);
    }

    [NeedsRedisFact]
    public async Task With_Redis_stopped_requests_are_refused_with_a_clear_503_in_each_dialect_nothing_is_charged_and_all_recovers_when_it_returns()
    {
        var account = await A.CreateAccountAsync(1);
        Assert.Equal(200, (await A.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, TwoGateways.FlatBody())).Status);
        await TwoGateways.Eventually(async () => await B.BalanceAsync(account.Key) == 0.9m);
        var upstreamCalls = fixture.Fakes.RequestsTo("deepseek").Count;

        await fixture.Redis.StopAsync();
        try
        {
            var openAi = await TimedAsync(A, "/v1/chat/completions", account.Key, TwoGateways.FlatBody());
            Assert.Equal(503, openAi.Status);
            Assert.Equal("server_error", openAi.Json.GetProperty("error").GetProperty("type").GetString());
            Assert.Equal("reservations_unavailable", openAi.Json.GetProperty("error").GetProperty("code").GetString());
            Assert.Contains("nothing was sent or charged", openAi.Json.GetProperty("error").GetProperty("message").GetString());
            Assert.True(openAi.Took < NoHang, $"took {openAi.Took}");

            var anthropic = await TimedAsync(B, "/v1/messages", account.Key, AnthropicBody);
            Assert.Equal(503, anthropic.Status);
            Assert.Equal("error", anthropic.Json.GetProperty("type").GetString());
            Assert.Equal("api_error", anthropic.Json.GetProperty("error").GetProperty("type").GetString());
            Assert.True(anthropic.Took < NoHang, $"took {anthropic.Took}");

            var gemini = await TimedAsync(A, $"/v1beta/models/{TwoGateways.FlatModel}:generateContent", account.Key,
                """{"contents":[{"role":"user","parts":[{"text":"Say hello."}]}],"generationConfig":{"maxOutputTokens":100}}""");
            Assert.Equal(503, gemini.Status);
            Assert.Equal("UNAVAILABLE", gemini.Json.GetProperty("error").GetProperty("status").GetString());
            Assert.True(gemini.Took < NoHang, $"took {gemini.Took}");

            // Everything that needs no credit goes on, rate-limited per process (the headers are still there).
            using (var request = B.Request(HttpMethod.Get, "/api/v1/balance", account.Key))
            using (var response = await B.Client.SendAsync(request))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.True(response.Headers.Contains("X-RateLimit-Remaining"));
            }
            Assert.Equal(0.9m, await A.BalanceAsync(account.Key));
            Assert.Equal(upstreamCalls, fixture.Fakes.RequestsTo("deepseek").Count);

            using var ready = await A.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            using var readiness = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            Assert.Equal("redis unavailable", readiness.RootElement.GetProperty("status").GetString());
        }
        finally
        {
            await fixture.Redis.StartAgainAsync();
        }

        // Back: both instances reserve through Redis again (its data is gone; balances come from the database).
        foreach (var gateway in new[] { A, B })
            await TwoGateways.Eventually(async () => (await gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, TwoGateways.FlatBody())).Status == 200);
        using (var readyAgain = await B.Client.GetAsync("/health/ready")) Assert.Equal(HttpStatusCode.OK, readyAgain.StatusCode);
        var charges = (await TwoGateways.TransactionsAsync(A, account.Key)).Where(t => t.GetProperty("type").GetString() == "charge").ToList();
        Assert.Equal(3, charges.Count);
        await TwoGateways.Eventually(async () => await A.BalanceAsync(account.Key) == 0.7m);
    }

    [NeedsRedisFact]
    public async Task A_hung_Redis_costs_a_request_at_most_its_timeout_and_then_is_skipped_until_it_answers_again()
    {
        var account = await A.CreateAccountAsync(1);
        Assert.Equal(200, (await B.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, TwoGateways.FlatBody())).Status);

        await fixture.Redis.PauseAsync();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var (status, json, took) = await TimedAsync(i % 2 == 0 ? A : B, "/v1/chat/completions", account.Key, TwoGateways.FlatBody());
                Assert.Equal(503, status);
                Assert.Equal("reservations_unavailable", json.GetProperty("error").GetProperty("code").GetString());
                Assert.True(took < NoHang, $"request {i} took {took}");
            }
        }
        finally
        {
            await fixture.Redis.ResumeAsync();
        }
        await TwoGateways.Eventually(async () => (await A.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, TwoGateways.FlatBody())).Status == 200);
        await TwoGateways.Eventually(async () => await B.BalanceAsync(account.Key) == 0.8m);
    }
}
