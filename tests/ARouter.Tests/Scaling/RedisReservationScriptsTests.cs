using ARouter.Scaling;
using ARouter.Tests.Infrastructure;
using StackExchange.Redis;

namespace ARouter.Tests.Scaling;

/// <summary>The hold and settle scripts run in a real redis-server, called as instances call them.</summary>
public sealed class RedisReservationScriptsTests : IAsyncLifetime
{
    private const long Dime = 100_000_000;
    private const int LeaseMs = 30_000;

    private RedisServer? _server;
    private ConnectionMultiplexer? _connection;
    private readonly RedisKey[] _keys = Keys("{acct-" + Guid.NewGuid().ToString("n") + "}:");

    private IDatabase Db => _connection!.GetDatabase();

    public async Task InitializeAsync()
    {
        if (RedisServer.Binary is null) return;
        _server = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_server.Configuration);
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    [NeedsRedisFact]
    public async Task A_cost_within_its_hold_is_charged_in_full_while_a_commit_message_from_another_instance_is_still_on_its_way()
    {
        // 0.30 holds three requests of 0.10. Instance 1 settles and commits A; instance 2 settles and commits B, and the
        // balance its database commit left (0.10) already includes A's charge — but A's own commit message comes later.
        await KnowBalanceAsync(3 * Dime);
        foreach (var id in new[] { "A", "B", "C" }) Assert.Equal(1, await HoldAsync(id, Dime));
        Assert.Equal(Dime, await SettleAsync("A", Dime));
        Assert.Equal(Dime, await SettleAsync("B", Dime));
        await CommittedAsync(balanceAfter: Dime, "B");

        // The room the known balance shows besides the other holds is 0.10 - A's 0.10: C's hold still pays for C.
        Assert.Equal(Dime, await SettleAsync("C", Dime));
    }

    [NeedsRedisFact]
    public async Task What_a_request_costs_beyond_its_hold_is_charged_only_as_far_as_the_balance_reaches()
    {
        await KnowBalanceAsync(25 * Dime / 10);
        Assert.Equal(1, await HoldAsync("A", Dime));
        Assert.Equal(1, await HoldAsync("B", Dime));

        // 2.5 dimes, B holds one: A may take up to 1.5 of its cost of 3.
        Assert.Equal(15 * Dime / 10, await SettleAsync("A", 3 * Dime));
        // Nothing is left besides B's own hold, so B is charged its hold and no more.
        Assert.Equal(Dime, await SettleAsync("B", 2 * Dime));
    }

    [NeedsRedisFact]
    public async Task A_cost_beyond_its_hold_is_charged_only_up_to_the_hold_when_the_balance_is_not_known()
    {
        await KnowBalanceAsync(10 * Dime);
        Assert.Equal(1, await HoldAsync("A", Dime));
        await Db.KeyDeleteAsync(_keys[2]);

        Assert.Equal(Dime, await SettleAsync("A", 4 * Dime));
    }

    private async Task KnowBalanceAsync(long nanos)
    {
        var epoch = (RedisResult[])(await HoldScriptAsync("probe", 0, "", ""))!;
        Assert.Equal(0, (long)epoch[0]);
        var fresh = (RedisResult[])(await HoldScriptAsync("probe", 0, ((long)epoch[2]).ToString(), nanos.ToString()))!;
        Assert.Equal(1, (long)fresh[0]);
        await Db.ScriptEvaluateAsync(RedisReservationScripts.Release, _keys, ["probe"]);
    }

    private async Task<long> HoldAsync(string id, long amount) => (long)((RedisResult[])(await HoldScriptAsync(id, amount, "", ""))!)[0];

    private Task<RedisResult> HoldScriptAsync(string id, long amount, string seen, string balance)
        => Db.ScriptEvaluateAsync(RedisReservationScripts.Hold, _keys, [id, amount, "key-1", "", LeaseMs, seen, balance, "", 60_000]);

    private async Task<long> SettleAsync(string id, long cost)
        => (long)await Db.ScriptEvaluateAsync(RedisReservationScripts.Settle, _keys, [id, cost, "key-1", "", LeaseMs]);

    private Task CommittedAsync(long balanceAfter, params string[] ids)
        => Db.ScriptEvaluateAsync(RedisReservationScripts.Committed, _keys, [(RedisValue)"ledger", "acct instance-2", balanceAfter, "0", 60_000, .. ids.Select(i => (RedisValue)i)]);

    private static RedisKey[] Keys(string tag) => [tag + "holds", tag + "leases", tag + "known", tag + "epoch"];
}
