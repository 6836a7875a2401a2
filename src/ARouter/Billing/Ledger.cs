using System.Collections.Concurrent;
using ARouter.Observability;
using ARouter.Storage;
using Microsoft.Extensions.Logging;

namespace ARouter.Billing;

/// <summary><see cref="Unavailable"/>: the shared reservation book (Redis) cannot be reached, so nothing is held and the request is refused (fail closed).</summary>
public enum ReserveStatus { Reserved, InsufficientCredits, KeyLimitReached, UnknownAccount, Unavailable }

public readonly record struct ReserveOutcome(ReserveStatus Status, Reservation? Reservation, long AvailableNanos);

/// <summary>
/// Holds and charges credit. Holding is the <see cref="IReservationBook"/>'s job: in this process by default
/// (a conditional decrement under the account's lock), in Redis when instances share one. Either way
/// concurrent requests can never spend more than the balance. Settles are committed by the
/// <see cref="LedgerWriter"/> in group-committed batches; nothing about a reservation is ever written to the
/// database, so a crash cannot strand one.
/// </summary>
public sealed class Ledger(ILedgerStore store, LedgerWriter writer, TimeProvider clock, ILogger<Ledger> logger, IReservationBook? book = null)
{
    private readonly IReservationBook _book = book ?? new LocalReservationBook();

    private readonly ConcurrentDictionary<string, Task<AccountBalance?>> _accounts = new(StringComparer.Ordinal);

    /// <param name="keyLimit">The key's own spend limit, held exactly like the balance; null for a key without one.</param>
    public async ValueTask<ReserveOutcome> ReserveAsync(string accountId, string keyId, string generationId, long amountNanos, CancellationToken ct, KeyLimit? keyLimit = null)
    {
        var account = await GetAsync(accountId, ct);
        if (account is null) return new ReserveOutcome(ReserveStatus.UnknownAccount, null, 0);
        account.LastTouched = clock.GetTimestamp();
        var spend = keyLimit is { } limit ? account.SpendOf(keyId, limit) : null;
        var decision = await _book.HoldAsync(new HoldRequest(account, spend, keyLimit, keyId, generationId, amountNanos), ct);
        return decision.Status == ReserveStatus.Reserved
            ? new ReserveOutcome(ReserveStatus.Reserved, new Reservation(this, account, spend, keyId, generationId, amountNanos), decision.AvailableNanos)
            : new ReserveOutcome(decision.Status, null, decision.AvailableNanos);
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
            if (committed.Applied) _book.BalanceChanged(accountId);
        });
        return applied.Applied ? applied.BalanceAfterNanos : null;
    }

    internal async ValueTask<long> SettleAsync(Reservation reservation, long costNanos, GenerationRecord generation)
    {
        var account = reservation.Account;
        var charge = await _book.SettleAsync(reservation, costNanos);
        var entry = new ChargeEntry(account.AccountId, charge, Ids.NewTransactionId(), generation);
        var write = writer.WriteAsync(entry, applied =>
        {
            OnChargeCommitted(account, charge, applied);
            _book.Committed(reservation, applied.Applied ? applied.BalanceAfterNanos : null);
        });
        // The caller is shown this charge as usage.cost only once it is committed, however long the database takes:
        // a cost a client has seen must survive a crash. A slow commit is logged by the writer's watchdog, and still waited for.
        AppliedEntry applied = default;
        try
        {
            applied = await write;
        }
        catch (Exception) when (write.IsFaulted)
        {
            // Only a write after shutdown can fault (the batch loop retries forever); the writer has logged why.
        }
        // The database caps the charge at the balance it holds, which another instance without Redis may have lowered meanwhile.
        // Not applied means the generation was already charged (a retried commit) or the account is gone: the settled amount stands.
        return applied.Applied ? applied.Entry.AmountNanos : charge;
    }

    internal void Release(Reservation reservation, GenerationRecord? generation)
    {
        _book.Release(reservation);
        if (generation is not null) writer.Post(new GenerationOnlyEntry(generation));
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

    /// <summary>Re-reads one account's committed balance, when another instance says it committed a change to it.</summary>
    internal async Task RefreshAccountAsync(string accountId)
    {
        if (!_accounts.TryGetValue(accountId, out var loading) || !loading.IsCompletedSuccessfully || loading.Result is not { } account) return;
        try
        {
            if (await store.GetBalanceAsync(accountId, CancellationToken.None) is { } balance) lock (account) account.Committed = balance;
        }
        catch (Exception e)
        {
            Log.LedgerRefreshFailed(logger, e.GetType().Name);
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
