using System.ClientModel;
using System.Text.Json;
using ARouter.Tests.FakeUpstream;
using OpenAI;
using OpenAI.Chat;

namespace ARouter.Tests.Observability;

/// <summary><c>GET /metrics</c> after real requests through the gateway: the counters move by exactly what happened.</summary>
public sealed class MetricsTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private const string DeepSeek = "deepseek/deepseek-chat";
    private const string Chat = "/v1/chat/completions";

    private ChatClient Sdk(string model, string key)
        => new(model, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(fixture.Gateway.BaseAddress, "/v1") });

    [Fact]
    public async Task Requests_latency_tokens_and_cost_move_by_what_the_OpenAI_SDK_calls_used()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var sdk = Sdk(DeepSeek, account.Key);
        var before = await PrometheusScrape.ReadAsync(fixture.Gateway);

        await sdk.CompleteChatAsync([new UserChatMessage("Say hello.")]);
        await sdk.CompleteChatAsync([new UserChatMessage("Say hello again.")]);
        await foreach (var _ in sdk.CompleteChatStreamingAsync([new UserChatMessage("Stream it.")])) { }
        var spent = 5 - await fixture.Gateway.BalanceAsync(account.Key);

        var after = await PrometheusScrape.ReadAsync(fixture.Gateway);

        Assert.Equal(3, after.Since(before, "arouter_requests_total", "endpoint=" + Chat, "dialect=openai", "status=200"));
        Assert.Equal(3, after.Since(before, "arouter_request_duration_seconds_count", "endpoint=" + Chat, "provider=deepseek"));
        Assert.True(after.Since(before, "arouter_request_duration_seconds_sum", "endpoint=" + Chat, "provider=deepseek") > 0);
        Assert.Equal(3, after.Since(before, "arouter_upstream_attempts_total", "provider=deepseek"));
        Assert.Equal(3, after.Since(before, "arouter_upstream_duration_seconds_count", "provider=deepseek"));
        // The fake reports 12 prompt and 7 completion tokens per call.
        Assert.Equal(36, after.Since(before, "arouter_tokens_total", "provider=deepseek", "model=" + DeepSeek, "type=prompt"));
        Assert.Equal(21, after.Since(before, "arouter_tokens_total", "provider=deepseek", "model=" + DeepSeek, "type=completion"));
        Assert.True(spent > 0);
        Assert.Equal((double)spent, after.Since(before, "arouter_cost_usd_total", "provider=deepseek", "model=" + DeepSeek), 9);
        Assert.Equal(0, after.Since(before, "arouter_upstream_errors_total"));
        Assert.True(after.Has("arouter_ledger_queue_depth"));
        // The balance request is counted too, under its own route.
        Assert.Equal(1, after.Since(before, "arouter_requests_total", "endpoint=/api/v1/balance", "status=200"));
    }

    [Fact]
    public async Task A_fallback_counts_the_failed_providers_error_and_one_fallback()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var grok = GatewayWithFakes.ChatModelOf("xai").Id;
        fixture.Fakes.Script("xai", FakeScript.Default with { FailStatus = 503 });
        try
        {
            var before = await PrometheusScrape.ReadAsync(fixture.Gateway);
            var body = JsonSerializer.Serialize(new { model = grok, models = new[] { DeepSeek }, max_tokens = 50, messages = new[] { new { role = "user", content = "Hi" } } });
            var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, Chat, account.Key, body);
            Assert.Equal(200, status);
            Assert.Equal(DeepSeek, json.GetProperty("model").GetString());

            var after = await PrometheusScrape.ReadAsync(fixture.Gateway);
                Assert.Equal(1, after.Since(before, "arouter_fallbacks_total"));
            Assert.Equal(1, after.Since(before, "arouter_fallbacks_total", "provider=deepseek"));
            Assert.Equal(1, after.Since(before, "arouter_upstream_errors_total", "provider=xai"));
            Assert.Equal(0, after.Since(before, "arouter_upstream_errors_total", "provider=deepseek"));
            Assert.Equal(1, after.Since(before, "arouter_requests_total", "endpoint=" + Chat, "status=200"));
            // The request's latency is filed under the provider that answered.
            Assert.Equal(1, after.Since(before, "arouter_request_duration_seconds_count", "endpoint=" + Chat, "provider=deepseek"));
            // The failed call billed nothing.
            Assert.Equal(0, after.Since(before, "arouter_tokens_total", "provider=xai"));
        }
        finally
        {
            fixture.Fakes.Script("xai", FakeScript.Default);
        }
    }

    [Fact]
    public async Task Rate_limited_and_refused_requests_are_counted_by_status_without_any_key_or_account_label()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (created, key) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/api/v1/keys", account.Key,
            new { name = "limited", rate_limit = new { requests = 1, interval_seconds = 3600 } });
        Assert.Equal(201, created);
        var limited = key.GetProperty("key").GetString()!;
        var before = await PrometheusScrape.ReadAsync(fixture.Gateway);

        var body = GatewayWithFakes.ChatBody(DeepSeek, maxTokens: 20);
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, Chat, limited, body)).Status);
        Assert.Equal(429, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, Chat, limited, body)).Status);
        Assert.Equal(401, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, Chat, "lr_live_" + new string('Q', 40), body)).Status);
        Assert.Equal(404, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, Chat, account.Key, GatewayWithFakes.ChatBody("nobody/nothing"))).Status);

        var after = await PrometheusScrape.ReadAsync(fixture.Gateway);
        Assert.Equal(1, after.Since(before, "arouter_rate_limited_total", "endpoint=" + Chat));
        Assert.Equal(1, after.Since(before, "arouter_requests_total", "endpoint=" + Chat, "status=429"));
        Assert.Equal(1, after.Since(before, "arouter_requests_total", "endpoint=" + Chat, "status=401"));
        Assert.Equal(1, after.Since(before, "arouter_requests_total", "endpoint=" + Chat, "status=404"));
        Assert.Equal(1, after.Since(before, "arouter_upstream_attempts_total", "provider=deepseek"));

        foreach (var secret in new[] { account.Id, account.Key[..16], limited[..16], key.GetProperty("data").GetProperty("id").GetString()!, "lr_live_QQQQ", "nobody/nothing" })
            Assert.DoesNotContain(secret, after.Text);
        Assert.DoesNotContain(after.LabelValues("endpoint"), e => e.Contains('?') || e.Contains("nobody"));
    }
}

/// <summary>The ledger writer's queue depth, seen while the database is held by another writer (a real SQLite lock).</summary>
public sealed class LedgerQueueMetricsTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    [Fact]
    public async Task Queue_depth_shows_settles_waiting_for_a_locked_database_and_returns_to_zero()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        Task<(int Status, System.Text.Json.JsonElement Json)> call;
        using (var holder = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={fixture.Gateway.DatabasePath}"))
        {
            await holder.OpenAsync();
            using (var begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                await begin.ExecuteNonQueryAsync();
            }
            call = fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody("deepseek/deepseek-chat", maxTokens: 20));
            Assert.True(await DepthBecomesAsync(d => d >= 1), "the settle never showed as queued");
            using var rollback = holder.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        Assert.Equal(200, (await call).Status);
        Assert.True(await DepthBecomesAsync(d => d == 0), "the queue did not drain");
    }

    private async Task<bool> DepthBecomesAsync(Func<double, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var scrape = await PrometheusScrape.ReadAsync(fixture.Gateway);
            if (scrape.Has("arouter_ledger_queue_depth") && condition(scrape.Sum("arouter_ledger_queue_depth"))) return true;
            await Task.Delay(100);
        }
        return false;
    }
}
