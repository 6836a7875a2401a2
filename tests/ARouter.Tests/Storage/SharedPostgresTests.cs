using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ARouter.Storage.Postgres;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Storage;

/// <summary>Gateway instances on one PostgreSQL database, as behind a load balancer (no Redis).</summary>
[RunsOnPostgres]
public sealed class SharedPostgresTests
{
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition()) return true;
            await Task.Delay(100);
        }
        return false;
    }

    [StoreFact]
    public async Task Two_gateways_on_one_database_share_accounts_charges_and_key_changes()
    {
        await using var fakes = await FakeProviders.StartAsync();
        await using var database = await TestDatabase.CreateAsync(StoreEngine.Postgres);
        await using var first = await GatewayHost.StartAsync(fakes.GatewayConfiguration(), database: database);
        await using var second = await GatewayHost.StartAsync(fakes.GatewayConfiguration(), database: database);

        var account = await first.CreateAccountAsync(2);
        Assert.Equal(2, await second.BalanceAsync(account.Key));
        var (created, key) = await first.SendJsonAsync(HttpMethod.Post, "/api/v1/keys", account.Key, new { name = "worker" });
        Assert.Equal(201, created);
        var workerKey = key.GetProperty("key").GetString()!;

        var (status, body) = await second.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", workerKey, GatewayWithFakes.ChatBody("deepseek/deepseek-chat"));
        Assert.Equal(200, status);
        var cost = body.GetProperty("usage").GetProperty("cost").GetDecimal();
        Assert.True(cost > 0);
        Assert.Equal(2 - cost, await second.BalanceAsync(account.Key));
        // The first instance learns of the other's charge from the database within its refresh interval.
        Assert.True(await EventuallyAsync(async () => await first.BalanceAsync(account.Key) == 2 - cost), "the first gateway never saw the second one's charge");
        var (_, generation) = await first.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + body.GetProperty("id").GetString(), account.Key);
        Assert.Equal(cost, generation.GetProperty("data").GetProperty("cost").GetDecimal());

        var (patched, _) = await first.SendJsonAsync(HttpMethod.Patch, "/api/v1/keys/" + key.GetProperty("data").GetProperty("id").GetString(), account.Key, new { disabled = true });
        Assert.Equal(200, patched);
        Assert.True(await EventuallyAsync(async () => (await second.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", workerKey)).Status == 401),
            "the second gateway still accepted a key the first one disabled");
    }

    [StoreFact]
    public async Task A_gateway_on_PostgreSQL_without_a_secrets_key_refuses_to_start()
    {
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            GatewayHost.StartAsync(new Dictionary<string, string?> { ["AROUTER_SECRETS_KEY"] = "" }, StoreEngine.Postgres));
        Assert.Contains("AROUTER_SECRETS_KEY", failure.Message);
    }

    [StoreFact]
    public async Task Readiness_is_false_within_seconds_when_the_database_server_never_answers()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        await using var store = new PostgresStore($"Host=127.0.0.1;Port={port};Username=postgres;Database=none;Timeout=60");

        var clock = Stopwatch.StartNew();
        Assert.False(await store.IsReadyAsync(default));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"readiness took {clock.Elapsed}");
    }
}
