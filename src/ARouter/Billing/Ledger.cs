using System.Collections.Concurrent;
using ARouter.Observability;
using ARouter.Storage;
using Microsoft.Extensions.Logging;

namespace ARouter.Billing;

public enum ReserveStatus { Reserved, InsufficientCredits, KeyLimitReached, UnknownAccount }

public readonly record struct ReserveOutcome(ReserveStatus Status, Reservation? Reservation, long AvailableNanos);

/// <summary>
/// Holds and charges credit. Reserving is an in-memory conditional decrement under the account's lock
/// (available ≥ amount, else refused), so concurrent requests can never spend more than the balance.
/// Settles are committed by the <see cref="LedgerWriter"/> in group-committed batches; nothing about a
/// reservation is ever written, so a crash cannot strand one.
/// </summary>
public sealed class Ledger(ILedgerStore store, LedgerWriter writer, TimeProvider clock, ILogger<Ledger> logger)
{
    private static readonly TimeSpan DurableWait = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, Task<AccountBalance?>> _accounts = new(StringComparer.Ordinal);

    /// <param name="keyLimit">The key's own spend limit, held exactly like the balance; null for a key without one.</param>
    public async ValueTask<ReserveOutcome> ReserveAsync(string accountId, string keyId, string generationId, long amountNanos, CancellationToken ct, KeyLimit? keyLimit = null)
    {
        var account = await GetAsync(accountId, ct);
        if (account is null) return new ReserveOutcome(ReserveStatus.UnknownAccount, null, 0);
        lock (account)
        {
            account.LastTouched = clock.GetTimestamp();
            KeySpend? spend = null;
            if (keyLimit is { } limit)
            {
                if (!account.Keys.TryGetValue(keyId, out spend)) account.Keys[keyId] = spend = new KeySpend(limit.UsedNanos);
                spend.LimitNanos = limit.LimitNanos;
                if (spend.Remaining < amountNanos) return new ReserveOutcome(ReserveStatus.KeyLimitReached, null, Math.Max(0, spend.Remaining));
            }
            var available = account.Available;
            if (available < amountNanos) return new ReserveOutcome(ReserveStatus.InsufficientCredits, null, Math.Max(0, available));
            account.Reserved += amountNanos;
            if (spend is not null) spend.ReservedNanos += amountNanos;
            return new ReserveOutcome(ReserveStatus.Reserved, new Reservation(this, account, spend, keyId, generationId, amountNanos), available - amountNanos);
        }
    }

    /// <summary>What a key has spent as this process knows it (settled charges included), or null when it has not been used here.</summary>
    public long? KeyUsage(string accountId, string keyId)
    {
        if (!_accounts.TryGetValue(accountId, out var loading) || !loading.IsCompletedSuccessfully || loading.Result is not { } account) return null;
        lock (account) return account.Keys.TryGetValue(keyId, out var spend) ? spend.UsedNanos : null;
    }

    /// <summary>The balance as callers see it: committed minus charges waiting to be written.</summary>
    public async ValueTask<long?> GetBalanceAsync(string accountId, CancellationToken ct)
    {
        var account = await GetAsync(accountId, ct);
        if (account is null) return null;
        lock (account) return account.Balance;
    }

    /// <summary>Adds credit through the writer so the in-memory balance and the database move in commit order.</summary>
    public async Task<long?> AddCreditAsync(string accountId, long amountNanos, string? description)
    {
        var applied = await writer.WriteAsync(new CreditEntry(accountId, amountNanos, Ids.NewTransactionId(), description), committed =>
        {
            if (committed.Applied && _accounts.TryGetValue(accountId, out var loading) && loading.IsCompletedSuccessfully && loading.Result is { } account)
            {
                lock (account) account.Committed = committed.BalanceAfterNanos;
            }
        });
        return applied.Applied ? applied.BalanceAfterNanos : null;
    }

    internal async ValueTask<long> SettleAsync(Reservation reservation, long costNanos, GenerationRecord generation)
    {
        var account = reservation.Account;
        long charge;
        lock (account)
        {
            account.Reserved -= reservation.AmountNanos;
            var spend = reservation.KeySpend;
            if (spend is not null) spend.ReservedNanos -= reservation.AmountNanos;
            // Never below zero, never past the key's limit: a request that cost more than was reserved is charged at most what is left.
            var ceiling = Math.Max(0, account.Committed - account.Unflushed - account.Reserved);
            if (spend is not null) ceiling = Math.Min(ceiling, Math.Max(0, spend.Remaining));
            charge = Math.Clamp(costNanos, 0, ceiling);
            account.Unflushed += charge;
            if (spend is not null) spend.UsedNanos += charge;
        }

        var entry = new ChargeEntry(account.AccountId, charge, Ids.NewTransactionId(), generation with { CostNanos = charge });
        var write = writer.WriteAsync(entry, applied => OnChargeCommitted(account, charge, applied));
        // WaitAsync drops its timer as soon as the write commits; a Task.Delay here kept one timer (and its
        // task) alive for the full 10 s per request, thousands at a time under load, promoted by every GC.
        try
        {
            await write.WaitAsync(DurableWait);
        }
        catch (TimeoutException)
        {
            Log.LedgerSlow(logger, reservation.GenerationId);
        }
        catch (Exception) when (write.IsFaulted)
        {
            // As before: the charge stands in memory; the writer has logged why the batch failed.
        }
        return charge;
    }

    internal void Release(Reservation reservation, GenerationRecord? generation)
    {
        var account = reservation.Account;
        lock (account)
        {
            account.Reserved -= reservation.AmountNanos;
            if (reservation.KeySpend is { } spend) spend.ReservedNanos -= reservation.AmountNanos;
        }
        if (generation is not null) writer.Post(new GenerationOnlyEntry(generation with { CostNanos = 0 }));
    }

    private static void OnChargeCommitted(AccountBalance account, long charge, AppliedEntry applied)
    {
        lock (account)
        {
            account.Unflushed -= charge;
            if (applied.Applied) account.Committed = applied.BalanceAfterNanos;
        }
    }

    /// <summary>Re-reads committed balances so credit added by another process (the CLI) is seen. Runs on the writer's loop.</summary>
    internal async Task RefreshAsync(CancellationToken ct)
    {
        foreach (var (id, loading) in _accounts)
        {
            if (!loading.IsCompletedSuccessfully || loading.Result is not { } account) continue;
            var balance = await store.GetBalanceAsync(id, ct);
            if (balance is null) continue;
            lock (account) account.Committed = balance.Value;
        }
    }

    private async ValueTask<AccountBalance?> GetAsync(string accountId, CancellationToken ct)
    {
        var loading = _accounts.GetOrAdd(accountId, LoadAsync);
        try
        {
            var account = await loading.WaitAsync(ct);
            if (account is null) _accounts.TryRemove(new KeyValuePair<string, Task<AccountBalance?>>(accountId, loading));
            return account;
        }
        catch when (loading.IsFaulted)
        {
            _accounts.TryRemove(new KeyValuePair<string, Task<AccountBalance?>>(accountId, loading));
            throw;
        }
    }

    private async Task<AccountBalance?> LoadAsync(string accountId)
    {
        var balance = await store.GetBalanceAsync(accountId, CancellationToken.None);
        return balance is null ? null : new AccountBalance(accountId, balance.Value);
    }
}
