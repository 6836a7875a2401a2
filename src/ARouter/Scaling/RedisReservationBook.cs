using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ARouter.Billing;
using ARouter.Observability;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ARouter.Scaling;

/// <summary>
/// Holds in-flight credit in Redis, so every instance counts every other instance's holds: a hold is
/// granted only if the account's committed balance minus all live holds (and the key's limit minus its
/// usage and holds) covers it, in one Lua script. The committed balance comes from the database, the only
/// truth: Redis keeps the last value read for a moment, lowered by every committed charge to the balance
/// the database left, and forgotten when credit is added (an epoch counter guards a read against a change
/// that lands meanwhile). Holds
/// carry a lease that this instance renews while the request runs, so a crashed instance strands nothing
/// for longer than the lease. When Redis cannot answer, holding fails closed (<see cref="ReserveStatus.Unavailable"/>).
/// See docs/architecture.md, "Many instances".
/// </summary>
public sealed class RedisReservationBook(RedisConnection redis, DatabaseBalanceReads reads, ILogger<RedisReservationBook> logger) : IReservationBook
{
    public const string LedgerChannel = "ledger";
    private const int FreshReadAttempts = 8;
    private const long MaxExact = (1L << 53) - 1;

    /// <summary>Holds of this instance still in flight (including settled ones waiting for their commit), by generation id.</summary>
    private readonly ConcurrentDictionary<string, string> _inFlight = new(StringComparer.Ordinal);

    private long LeaseMs => redis.Options.ReservationLeaseSeconds * 1000L;

    public async ValueTask<HoldDecision> HoldAsync(HoldRequest request, CancellationToken ct)
    {
        var accountId = request.Account.AccountId;
        var keys = Keys(accountId);
        var limit = request.KeyLimit is { } l ? Exact(l.LimitNanos) : "";
        RedisValue seen = "", balance = "", used = "";
        try
        {
            for (var attempt = 0; attempt < FreshReadAttempts; attempt++)
            {
                var answer = (RedisResult[])(await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisReservationScripts.Hold, keys,
                    [request.GenerationId, Exact(request.AmountNanos), request.KeyId, limit, LeaseMs, seen, balance, used, redis.Options.KnownBalanceMs])))!;
                var status = (long)answer[0];
                var available = (long)answer[1];
                switch (status)
                {
                    case 1:
                        _inFlight[request.GenerationId] = accountId;
                        return new HoldDecision(ReserveStatus.Reserved, available);
                    case 2: return new HoldDecision(ReserveStatus.InsufficientCredits, available);
                    case 3: return new HoldDecision(ReserveStatus.KeyLimitReached, available);
                }
                // Redis does not know the balance (or forgot it): read the truth and offer it together with the epoch
                // seen before reading, which the script accepts only if nothing made Redis forget the balance since.
                seen = (long)answer[2];
                var (committed, usage) = await reads.ReadAsync(accountId, request.KeyLimit is null ? null : request.KeyId, Stopwatch.GetTimestamp(), ct);
                if (committed is null) return new HoldDecision(ReserveStatus.UnknownAccount, 0);
                balance = Exact(committed.Value);
                if (request.KeyLimit is { } keyLimit) used = Exact(usage ?? keyLimit.UsedNanos);
            }
            Log.ReservationContended(logger, accountId, FreshReadAttempts);
            return new HoldDecision(ReserveStatus.Unavailable, 0);
        }
        catch (RedisUnavailableException)
        {
            // A call that timed out may still have run: give back whatever it may have held.
            redis.Forget(db => db.ScriptEvaluateAsync(RedisReservationScripts.Release, Keys(accountId), [request.GenerationId]));
            return new HoldDecision(ReserveStatus.Unavailable, 0);
        }
    }

    public async ValueTask<long> SettleAsync(Reservation reservation, long costNanos)
    {
        var account = reservation.Account;
        var limit = reservation.KeySpend is { } spend ? Exact(spend.LimitNanos) : "";
        long charge;
        try
        {
            charge = (long)(await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisReservationScripts.Settle, Keys(account.AccountId),
                [reservation.GenerationId, Math.Clamp(costNanos, 0, MaxExact), reservation.KeyId, limit, LeaseMs])));
        }
        catch (RedisUnavailableException)
        {
            // The request ran; it is charged whatever Redis says. Without Redis the cap is this process's view
            // (the database caps at the balance again). The hold is no longer renewed and expires by its lease.
            _inFlight.TryRemove(reservation.GenerationId, out _);
            lock (account)
            {
                var ceiling = Math.Max(0, account.Balance);
                if (reservation.KeySpend is { } own) ceiling = Math.Min(ceiling, Math.Max(0, own.LimitNanos - own.UsedNanos));
                charge = Math.Clamp(costNanos, 0, ceiling);
            }
        }
        account.AddPending(charge, reservation.KeySpend);
        return charge;
    }

    public void Committed(Reservation reservation, long? balanceAfterNanos)
    {
        _inFlight.TryRemove(reservation.GenerationId, out _);
        // Redis cannot follow a key's usage from a balance, so a charge to a key with a limit makes it read both again.
        var forget = reservation.KeySpend is not null;
        SendCommitted(reservation.Account.AccountId, balanceAfterNanos is { } after ? Exact(after) : "", forget, reservation.GenerationId);
    }

    public void BalanceChanged(string accountId) => SendCommitted(accountId, "", forget: true, null);

    private void SendCommitted(string accountId, string balanceAfter, bool forget, string? generationId)
    {
        RedisValue[] args = generationId is null
            ? [redis.Channel(LedgerChannel).ToString(), accountId + " " + redis.InstanceId, balanceAfter, forget ? "1" : "0", redis.Options.KnownBalanceMs]
            : [redis.Channel(LedgerChannel).ToString(), accountId + " " + redis.InstanceId, balanceAfter, forget ? "1" : "0", redis.Options.KnownBalanceMs, generationId];
        redis.Forget(db => db.ScriptEvaluateAsync(RedisReservationScripts.Committed, Keys(accountId), args));
    }

    public void Release(Reservation reservation)
    {
        _inFlight.TryRemove(reservation.GenerationId, out _);
        redis.Forget(db => db.ScriptEvaluateAsync(RedisReservationScripts.Release, Keys(reservation.Account.AccountId), [reservation.GenerationId]));
    }

    /// <summary>Extends the lease of every hold still in flight here; called by <see cref="RedisLeaseRenewer"/>.</summary>
    internal async Task RenewAsync()
    {
        foreach (var account in _inFlight.GroupBy(h => h.Value, h => h.Key, StringComparer.Ordinal))
        {
            RedisValue[] args = [LeaseMs, .. account.Select(id => (RedisValue)id)];
            await redis.RunAsync(db => db.ScriptEvaluateAsync(RedisReservationScripts.Renew, Keys(account.Key), args));
        }
    }

    internal int InFlight => _inFlight.Count;

    private RedisKey[] Keys(string accountId)
    {
        var tag = "{" + accountId + "}:";
        return [redis.Key(tag + "holds"), redis.Key(tag + "leases"), redis.Key(tag + "known"), redis.Key(tag + "epoch")];
    }

    /// <summary>Lua counts in doubles: amounts beyond 2^53 nano-USD are held as 2^53, which only ever refuses sooner.</summary>
    private static string Exact(long nanos) => Math.Clamp(nanos, 0, MaxExact).ToString(CultureInfo.InvariantCulture);
}
