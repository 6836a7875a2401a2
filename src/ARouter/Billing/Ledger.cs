using System.Collections.Concurrent;
using ARouter.Observability;
using ARouter.Storage;
using Microsoft.Extensions.Logging;

namespace ARouter.Billing;

public enum ReserveStatus { Reserved, InsufficientCredits, UnknownAccount }

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

    public async ValueTask<ReserveOutcome> ReserveAsync(string accountId, string keyId, string generationId, long amountNanos, CancellationToken ct)
    {
        var account = await GetAsync(accountId, ct);
        if (account is null) return new ReserveOutcome(ReserveStatus.UnknownAccount, null, 0);
        lock (account)
        {
            account.LastTouched = clock.GetTimestamp();
            var available = account.Available;
            if (available < amountNanos) return new ReserveOutcome(ReserveStatus.InsufficientCredits, null, Math.Max(0, available));
            account.Reserved += amountNanos;
            return new ReserveOutcome(ReserveStatus.Reserved, new Reservation(this, account, keyId, generationId, amountNanos), available - amountNanos);
        }
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
            // Never below zero: a request that cost more than was reserved is charged at most what is left.
            charge = Math.Clamp(costNanos, 0, Math.Max(0, account.Committed - account.Unflushed - account.Reserved));
            account.Unflushed += charge;
        }

        var entry = new ChargeEntry(account.AccountId, charge, Ids.NewTransactionId(), generation with { CostNanos = charge });
        var write = writer.WriteAsync(entry, applied => OnChargeCommitted(account, charge, applied));
        var finished = await Task.WhenAny(write, Task.Delay(DurableWait));
        if (finished != write) Log.LedgerSlow(logger, reservation.GenerationId);
        return charge;
    }

    internal void Release(Reservation reservation, GenerationRecord? generation)
    {
        var account = reservation.Account;
        lock (account) account.Reserved -= reservation.AmountNanos;
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
