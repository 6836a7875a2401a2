using System.Text.Json;
using ARouter.Billing;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Billing;

public sealed class SqliteLedgerRaceTests(GatewayWithFakes fixture) : LedgerRaceTests(fixture), IClassFixture<GatewayWithFakes>;

[RunsOnPostgres]
public sealed class PostgresLedgerRaceTests(PostgresGatewayWithFakes fixture) : LedgerRaceTests(fixture), IClassFixture<PostgresGatewayWithFakes>;

/// <summary>
/// Hundreds of requests at once — streamed and not, over several keys of one account, one key with its own
/// spend limit — against a balance that covers about ten of them: nothing is overspent and every success is
/// charged exactly once, at the cost its response showed.
/// </summary>
public abstract class LedgerRaceTests(GatewayWithFakes fixture)
{
    private const string Model = "deepseek/deepseek-chat";
    private const int Requests = 240;
    private const int MaxTokens = 4_000;

    private sealed record Outcome(int Status, string Key, string? GenerationId, decimal? Cost);

    [Fact]
    public async Task Two_hundred_concurrent_requests_never_overspend_the_balance_or_a_key_limit_and_each_success_is_charged_once()
    {
        var price = GatewayWithFakes.Catalog.FindModel(Model)!.Price;
        var worstCase = Money.FromNanos(CostCalculator.WorstCaseNanos(price, 60, MaxTokens));
        var credits = decimal.Round(worstCase * 10, 9);
        var keyLimit = decimal.Round(worstCase * 3, 9);
        var account = await fixture.Gateway.CreateAccountAsync(credits);
        var keys = new List<string> { account.Key };
        for (var i = 0; i < 2; i++) keys.Add((await CreateKeyAsync(account.Key, new { name = $"plain-{i}" })).Secret);
        var (limitedId, limited) = await CreateKeyAsync(account.Key, new { name = "limited", limit = keyLimit });
        keys.Add(limited);
        fixture.Fakes.Script("deepseek", FakeScript.Default with { CompletionTokens = 3_900, Delay = TimeSpan.FromMilliseconds(30), ChunkDelay = TimeSpan.FromMilliseconds(5) });

        Outcome[] outcomes;
        try
        {
            // Every request is created first and released together, so they really race.
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var running = Enumerable.Range(0, Requests).Select(async i =>
            {
                await start.Task;
                return await ChatAsync(keys[i % keys.Count], stream: i % 2 == 0);
            }).ToList();
            start.SetResult();
            outcomes = await Task.WhenAll(running);
        }
        finally
        {
            fixture.Fakes.Script("deepseek", FakeScript.Default);
        }

        Assert.All(outcomes, o => Assert.Contains(o.Status, new[] { 200, 402 }));
        var successes = outcomes.Where(o => o.Status == 200).ToList();
        Assert.InRange(successes.Count, 10, Requests - 1);
        Assert.All(successes, s => Assert.True(s.Cost > 0, "every success shows its cost"));

        var balance = await fixture.Gateway.BalanceAsync(account.Key);
        Assert.True(balance >= 0);
        // Exactly one charge per success, none for a refusal, each for the cost its response carried.
        var byGeneration = await Transactions.ChargesAsync(path => fixture.Gateway.SendJsonAsync(HttpMethod.Get, path, account.Key));
        Assert.Equal(successes.Count, byGeneration.Count);
        foreach (var success in successes) Assert.Equal(success.Cost, byGeneration[success.GenerationId!]);
        Assert.Equal(credits - byGeneration.Values.Sum(), balance);

        // The limited key never spent past its limit, and its usage is exactly its charges.
        var limitedSpend = successes.Where(s => s.Key == limited).Sum(s => s.Cost!.Value);
        Assert.True(limitedSpend <= keyLimit, $"the limited key spent {limitedSpend} of {keyLimit}");
        var (_, key) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/keys/" + limitedId, account.Key);
        Assert.Equal(limitedSpend, key.GetProperty("data").GetProperty("usage").GetDecimal());
        Assert.Contains(outcomes, o => o.Key == limited && o.Status == 402);

        // Nothing is left held: a request for exactly what remains can be reserved.
        var ledger = (Ledger)fixture.Gateway.Services.GetService(typeof(Ledger))!;
        var remaining = Money.ToNanos(balance);
        var keyId = (await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/keys", account.Key)).Json.GetProperty("data")[0].GetProperty("id").GetString()!;
        var held = await ledger.ReserveAsync(account.Id, keyId, "gen-probe-" + Guid.NewGuid().ToString("n"), remaining, default);
        Assert.Equal(ReserveStatus.Reserved, held.Status);
        Assert.Equal(0, held.AvailableNanos);
        held.Reservation!.Release(null);
    }

    private async Task<Outcome> ChatAsync(string key, bool stream)
    {
        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", key, GatewayWithFakes.ChatBody(Model, stream, MaxTokens));
        using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var root = json.RootElement;
            return (int)response.StatusCode == 200
                ? new Outcome(200, key, root.GetProperty("id").GetString(), root.GetProperty("usage").GetProperty("cost").GetDecimal())
                : new Outcome((int)response.StatusCode, key, null, null);
        }
        var events = await GatewayWithFakes.ReadSseAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        using var closing = JsonDocument.Parse(events[^2]);
        return new Outcome(200, key, closing.RootElement.GetProperty("id").GetString(), closing.RootElement.GetProperty("usage").GetProperty("cost").GetDecimal());
    }

    private async Task<(string Id, string Secret)> CreateKeyAsync(string managementKey, object body)
    {
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/api/v1/keys", managementKey, body);
        Assert.Equal(201, status);
        return (json.GetProperty("data").GetProperty("id").GetString()!, json.GetProperty("key").GetString()!);
    }
}
