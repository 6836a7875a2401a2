using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Scaling;

public sealed class SharedAcrossInstancesOnSqliteTests(TwoGatewaysOnSqlite fixture) : SharedAcrossInstancesTests(fixture), IClassFixture<TwoGatewaysOnSqlite>;

[RunsOnPostgres]
public sealed class SharedAcrossInstancesOnPostgresTests(TwoGatewaysOnPostgres fixture) : SharedAcrossInstancesTests(fixture), IClassFixture<TwoGatewaysOnPostgres>;

/// <summary>Two instances on one database and one Redis behave as one gateway: one rate limit, one balance, one key cache.</summary>
public abstract class SharedAcrossInstancesTests(TwoGateways fixture)
{
    private GatewayHost A => fixture.A;
    private GatewayHost B => fixture.B;

    private async Task<(string Id, string Secret)> CreateKeyAsync(TestAccount account, object body)
    {
        var (status, json) = await A.SendJsonAsync(HttpMethod.Post, "/api/v1/keys", account.Key, body);
        Assert.Equal(201, status);
        return (json.GetProperty("data").GetProperty("id").GetString()!, json.GetProperty("key").GetString()!);
    }

    [NeedsRedisFact]
    public async Task A_key_s_rate_limit_is_one_bucket_across_both_instances()
    {
        var account = await A.CreateAccountAsync(5);
        var (_, key) = await CreateKeyAsync(account, new { name = "limited", rate_limit = new { requests = 6, interval_seconds = 600 } });

        var seen = new List<(int Status, int Remaining)>();
        for (var i = 0; i < 8; i++)
        {
            var gateway = i % 2 == 0 ? A : B;
            using var request = gateway.Request(HttpMethod.Get, "/api/v1/balance", key);
            using var response = await gateway.Client.SendAsync(request);
            seen.Add(((int)response.StatusCode, int.Parse(response.Headers.GetValues("X-RateLimit-Remaining").Single())));
            Assert.Equal("6", response.Headers.GetValues("X-RateLimit-Limit").Single());
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single()) >= 1);
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal("rate_limit_error", json.RootElement.GetProperty("error").GetProperty("type").GetString());
            }
        }
        // Per process each instance would have allowed 6: together they allowed 6.
        Assert.Equal([(200, 5), (200, 4), (200, 3), (200, 2), (200, 1), (200, 0), (429, 0), (429, 0)], seen);
    }

    [NeedsRedisFact]
    public async Task Two_hundred_concurrent_requests_across_both_instances_spend_exactly_what_the_balance_affords()
    {
        // 2.05 USD affords 20 requests of exactly 0.10 (worst case = real cost), never 21.
        var account = await A.CreateAccountAsync(2.05m);
        fixture.Fakes.Script("deepseek", FakeScript.Default with { CompletionTokens = TwoGateways.FlatMaxTokens, Delay = TimeSpan.FromMilliseconds(100) });
        try
        {
            var requests = Enumerable.Range(0, 200).Select(async i =>
            {
                var gateway = i % 2 == 0 ? A : B;
                using var request = gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, TwoGateways.FlatBody());
                using var response = await gateway.Client.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                using var json = JsonDocument.Parse(text);
                decimal? cost = response.StatusCode == HttpStatusCode.OK ? json.RootElement.GetProperty("usage").GetProperty("cost").GetDecimal() : null;
                return ((int)response.StatusCode, cost, json.RootElement.TryGetProperty("id", out var id) ? id.GetString() : null);
            });
            var results = await Task.WhenAll(requests);

            var statuses = results.GroupBy(r => r.Item1).ToDictionary(g => g.Key, g => g.Count());
            Assert.True(!statuses.ContainsKey(503), string.Join("\n", A.Logs.Lines.Concat(B.Logs.Lines).Where(l => l.Contains("Redis") || l.Contains("Reservation"))));
            Assert.Equal(new Dictionary<int, int> { [200] = 20, [402] = 180 }, statuses);
            Assert.All(results.Where(r => r.Item1 == 200), r => Assert.Equal(TwoGateways.FlatCost, r.Item2));

            var transactions = await TwoGateways.TransactionsAsync(A, account.Key);
            var charges = transactions.Where(t => t.GetProperty("type").GetString() == "charge").ToList();
            Assert.Equal(20, charges.Count);
            Assert.Equal(results.Where(r => r.Item1 == 200).Select(r => r.Item3).Order(), charges.Select(c => c.GetProperty("generation_id").GetString()).Order());
            var charged = charges.Sum(c => -c.GetProperty("amount").GetDecimal());
            Assert.Equal(2.00m, charged);
            // Both instances show the balance the database holds: credits minus the sum of the charges, never below zero.
            foreach (var gateway in new[] { A, B })
                await TwoGateways.Eventually(async () => await gateway.BalanceAsync(account.Key) == 2.05m - charged);
        }
        finally
        {
            fixture.Fakes.Script("deepseek", FakeScript.Default with { CompletionTokens = TwoGateways.FlatMaxTokens });
        }
    }

    [NeedsRedisFact]
    public async Task A_key_s_spend_limit_holds_across_both_instances_under_concurrent_requests()
    {
        var account = await A.CreateAccountAsync(5);
        // 0.25 affords two requests of 0.10 on this key; the account could pay for fifty.
        var (id, key) = await CreateKeyAsync(account, new { name = "capped", limit = 0.25 });
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            var gateway = i % 2 == 0 ? A : B;
            var (status, json) = await gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", key, TwoGateways.FlatBody());
            return (status, json);
        }));
        Assert.Equal(2, results.Count(r => r.status == 200));
        Assert.All(results.Where(r => r.status != 200), r =>
        {
            Assert.Equal(402, r.status);
            Assert.Contains("spend limit", r.json.GetProperty("error").GetProperty("message").GetString());
        });
        var (_, listed) = await A.SendJsonAsync(HttpMethod.Get, $"/api/v1/keys/{id}", account.Key);
        Assert.Equal(0.2m, listed.GetProperty("data").GetProperty("usage").GetDecimal());
        await TwoGateways.Eventually(async () => await A.BalanceAsync(account.Key) == 4.8m);
    }

    [NeedsRedisFact]
    public async Task A_key_disabled_through_one_instance_is_refused_by_the_other_within_a_second()
    {
        var account = await A.CreateAccountAsync(5);
        // Three rounds: the database poll (every 2 s) alone would beat one second in about half of them.
        for (var round = 0; round < 3; round++)
        {
            var (id, key) = await CreateKeyAsync(account, new { name = $"soon disabled {round}" });
            // B has the key cached (positive entries live 30 s).
            Assert.Equal(200, (await B.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", key)).Status);

            var (status, _) = await A.SendJsonAsync(HttpMethod.Patch, $"/api/v1/keys/{id}", account.Key, new { disabled = true });
            Assert.Equal(200, status);
            var clock = Stopwatch.StartNew();
            int seen;
            JsonElement body;
            do
            {
                (seen, body) = await B.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", key);
                if (seen == 401) break;
                await Task.Delay(20);
            } while (clock.Elapsed < TimeSpan.FromSeconds(5));
            Assert.Equal(401, seen);
            Assert.Contains("disabled", body.GetProperty("error").GetProperty("message").GetString());
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"B refused the key only after {clock.ElapsedMilliseconds} ms");
        }
    }
}
