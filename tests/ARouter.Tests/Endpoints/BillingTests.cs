using System.Net;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Endpoints;

public sealed class SqliteBillingTests(GatewayWithFakes fixture) : BillingTests(fixture), IClassFixture<GatewayWithFakes>;

[RunsOnPostgres]
public sealed class PostgresBillingTests(PostgresGatewayWithFakes fixture) : BillingTests(fixture), IClassFixture<PostgresGatewayWithFakes>;

/// <summary>Balance, transactions and generations agree with tokens × catalog prices, under concurrency, failures and disconnects.</summary>
public abstract class BillingTests(GatewayWithFakes fixture)
{
    private const string Model = "deepseek/deepseek-chat";

    private async Task<(int Status, JsonElement Json)> ChatAsync(string key, string provider = "deepseek", bool stream = false, int? maxTokens = null)
    {
        var model = provider == "deepseek" ? Model : GatewayWithFakes.ChatModelOf(provider).Id;
        if (!stream) return await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", key, GatewayWithFakes.ChatBody(model, stream, maxTokens));

        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", key, GatewayWithFakes.ChatBody(model, stream, maxTokens));
        using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
            return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        // A finished stream's answer is its closing chunk, the one carrying usage and cost.
        var events = await GatewayWithFakes.ReadSseAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        return ((int)response.StatusCode, JsonDocument.Parse(events[^2]).RootElement.Clone());
    }

    private async Task<List<JsonElement>> TransactionsAsync(string key)
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/transactions?limit=100" + (cursor is null ? "" : "&cursor=" + cursor), key);
            Assert.Equal(200, status);
            all.AddRange(json.GetProperty("data").EnumerateArray());
            cursor = json.GetProperty("next_cursor").GetString();
        } while (cursor is not null);
        return all;
    }

    [StoreFact]
    public async Task Balance_transactions_and_generation_agree_with_tokens_times_prices()
    {
        fixture.Fakes.Script("deepseek", FakeScript.Default with { PromptTokens = 1_000, CompletionTokens = 500, CachedTokens = 200 });
        var account = await fixture.Gateway.CreateAccountAsync(2);
        var (status, body) = await ChatAsync(account.Key);
        fixture.Fakes.Script("deepseek", FakeScript.Default);
        Assert.Equal(200, status);

        var price = GatewayWithFakes.Catalog.FindModel(Model)!.Price;
        var expected = Money.FromNanos(CostCalculator.CostNanos(price, new TokenUsage(1_000, 500, 200)));
        Assert.Equal(expected, body.GetProperty("usage").GetProperty("cost").GetDecimal());
        Assert.Equal(2 - expected, await fixture.Gateway.BalanceAsync(account.Key));

        var transactions = await TransactionsAsync(account.Key);
        var charge = Assert.Single(transactions, t => t.GetProperty("type").GetString() == "charge");
        Assert.Equal(-expected, charge.GetProperty("amount").GetDecimal());
        Assert.Equal(2 - expected, charge.GetProperty("balance_after").GetDecimal());
        Assert.Equal(body.GetProperty("id").GetString(), charge.GetProperty("generation_id").GetString());
        Assert.Equal(Model, charge.GetProperty("model").GetString());
        Assert.Equal(1_000, charge.GetProperty("prompt_tokens").GetInt32());

        var (genStatus, generation) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + body.GetProperty("id").GetString(), account.Key);
        Assert.Equal(200, genStatus);
        var data = generation.GetProperty("data");
        Assert.Equal(expected, data.GetProperty("cost").GetDecimal());
        Assert.Equal(500, data.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(200, data.GetProperty("cached_tokens").GetInt32());
        Assert.Equal("deepseek", data.GetProperty("provider").GetString());
        Assert.False(data.TryGetProperty("prompt", out _));
    }

    [StoreFact]
    public async Task Fifty_concurrent_requests_never_overdraw_and_every_success_is_charged_once()
    {
        var model = GatewayWithFakes.Catalog.FindModel(Model)!;
        // Enough for about ten worst cases (estimated prompt with margin + max_tokens of output).
        var worstCase = Money.FromNanos(CostCalculator.WorstCaseNanos(model.Price, 60, 4_000));
        var credits = decimal.Round(worstCase * 10, 9);
        var account = await fixture.Gateway.CreateAccountAsync(credits);
        fixture.Fakes.Script("deepseek", FakeScript.Default with { CompletionTokens = 3_900, Delay = TimeSpan.FromMilliseconds(50) });

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => ChatAsync(account.Key, stream: i % 2 == 0, maxTokens: 4_000)));
        fixture.Fakes.Script("deepseek", FakeScript.Default);

        Assert.All(results, r => Assert.Contains(r.Status, new[] { 200, 402 }));
        var successes = results.Count(r => r.Status == 200);
        Assert.InRange(successes, 10, 49);
        var balance = await fixture.Gateway.BalanceAsync(account.Key);
        Assert.True(balance >= 0);
        var transactions = await TransactionsAsync(account.Key);
        var charges = transactions.Where(t => t.GetProperty("type").GetString() == "charge").ToList();
        Assert.Equal(successes, charges.Count);
        Assert.Equal(successes, charges.Select(c => c.GetProperty("generation_id").GetString()).Distinct().Count());
        Assert.Equal(credits + charges.Sum(c => c.GetProperty("amount").GetDecimal()), balance);
    }

    [StoreFact]
    public async Task Not_enough_credit_is_402_and_nothing_is_sent_upstream()
    {
        var account = await fixture.Gateway.CreateAccountAsync(0);
        var before = fixture.Fakes.RequestsTo("deepseek").Count;

        var (status, body) = await ChatAsync(account.Key);

        Assert.Equal(402, status);
        Assert.Contains("Insufficient credits", body.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(before, fixture.Fakes.RequestsTo("deepseek").Count);
        Assert.DoesNotContain(await TransactionsAsync(account.Key), t => t.GetProperty("type").GetString() == "charge");
    }

    [StoreFact]
    public async Task A_client_that_disconnects_mid_stream_is_charged_exactly_once_and_the_upstream_call_is_cancelled()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var cancelledBefore = fixture.Fakes.CancelledStreams;
        fixture.Fakes.Script("mistral", FakeScript.Default with { Chunks = 40, ChunkDelay = TimeSpan.FromMilliseconds(50) });
        try
        {
            using (var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("mistral").Id, stream: true)))
            using (var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
            {
                await using var body = await response.Content.ReadAsStreamAsync();
                var seen = 0;
                await foreach (var _ in ARouter.Dialects.Sse.SseReader.ReadAsync(body, () => CancellationToken.None))
                    if (++seen == 3) break;
            }

            await Eventually(() => fixture.Fakes.CancelledStreams > cancelledBefore);
            await Eventually(async () => (await TransactionsAsync(account.Key)).Any(t => t.GetProperty("type").GetString() == "charge"));
            await Task.Delay(300);
            var charge = Assert.Single(await TransactionsAsync(account.Key), t => t.GetProperty("type").GetString() == "charge");
            Assert.True(charge.GetProperty("amount").GetDecimal() < 0, "what was generated is paid for");
            Assert.Equal(5 + charge.GetProperty("amount").GetDecimal(), await fixture.Gateway.BalanceAsync(account.Key));
            var (_, generation) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + charge.GetProperty("generation_id").GetString(), account.Key);
            Assert.Equal(499, generation.GetProperty("data").GetProperty("status").GetInt32());
        }
        finally
        {
            fixture.Fakes.Script("mistral", FakeScript.Default);
        }
    }

    [StoreTheory]
    [InlineData(500, 502)]
    [InlineData(503, 502)]
    [InlineData(401, 502)]
    [InlineData(400, 400)]
    [InlineData(429, 429)]
    public async Task A_failed_upstream_call_costs_nothing_and_keeps_the_upstream_status_and_message(int upstreamStatus, int expected)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        fixture.Fakes.Script("xai", FakeScript.Default with { FailStatus = upstreamStatus, FailMessage = "fake failure 7731" });
        var (status, body) = await ChatAsync(account.Key, "xai", maxTokens: 1_000);
        fixture.Fakes.Script("xai", FakeScript.Default);

        Assert.Equal(expected, status);
        var message = body.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains("fake failure 7731", message);
        Assert.Contains(upstreamStatus.ToString(), message);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [StoreFact]
    public async Task A_stream_cut_by_the_provider_ends_with_an_error_event_and_charges_what_was_generated()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("groq", FakeScript.Default with { Chunks = 10, CutAfterChunks = 3 });
        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("groq").Id, stream: true));
        using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await GatewayWithFakes.ReadSseAsync(response);
        fixture.Fakes.Script("groq", FakeScript.Default);

        Assert.DoesNotContain("[DONE]", events);
        using var error = JsonDocument.Parse(events[^1]);
        Assert.Contains("groq", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        using var usage = JsonDocument.Parse(events[^2]);
        var cost = usage.RootElement.GetProperty("usage").GetProperty("cost").GetDecimal();
        Assert.Equal(5 - cost, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [StoreTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_provider_that_reports_no_usage_is_billed_by_the_gateways_own_token_count(bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("nvidia", FakeScript.Default with { OmitUsage = true, Reply = "one two three four five six seven eight" });
        var model = GatewayWithFakes.ChatModelOf("nvidia");
        var (status, body) = await ChatAsync(account.Key, "nvidia", stream, maxTokens: 100);
        fixture.Fakes.Script("nvidia", FakeScript.Default);

        Assert.Equal(200, status);
        var usage = body.GetProperty("usage");
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > 0);
        Assert.True(usage.GetProperty("completion_tokens").GetInt32() >= 8);
        var (_, generation) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + body.GetProperty("id").GetString(), account.Key);
        Assert.True(generation.GetProperty("data").GetProperty("tokens_counted_by_gateway").GetBoolean());
        Assert.Equal(usage.GetProperty("cost").GetDecimal(), generation.GetProperty("data").GetProperty("cost").GetDecimal());
        Assert.Equal(model.Id, generation.GetProperty("data").GetProperty("model").GetString());
    }

    [StoreTheory]
    [InlineData(1008, false, 502)]
    [InlineData(2013, false, 400)]
    [InlineData(1002, false, 429)]
    [InlineData(1008, true, 502)]
    public async Task A_MiniMax_error_inside_an_HTTP_200_is_an_error_and_costs_nothing(int code, bool stream, int expected)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        fixture.Fakes.Script("minimax", FakeScript.Default with { BaseRespErrorCode = code, FailMessage = "insufficient balance 5521" });
        var model = GatewayWithFakes.ChatModelOf("minimax").Id;
        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(model, stream, 100));
        using var response = await fixture.Gateway.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        fixture.Fakes.Script("minimax", FakeScript.Default);

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Contains("insufficient balance 5521", text);
        Assert.Contains(code.ToString(), text);
        Assert.DoesNotContain("[DONE]", text);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    private static async Task Eventually(Func<bool> condition) => await Eventually(() => Task.FromResult(condition()));

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail("The condition did not become true within 5 s.");
    }
}
