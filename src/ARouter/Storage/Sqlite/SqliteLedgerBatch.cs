using System.Runtime.InteropServices;

namespace ARouter.Storage.Sqlite;

/// <summary>
/// The charges of one batch, applied against running balances: each account's balance is read once per
/// batch, each charge is capped at the running balance and appended, and the account and key rows are
/// written once per batch with the totals (<see cref="Flush"/>), not once per charge. Equivalent to
/// charging against the row each time because the batch holds SQLite's write lock (<c>BEGIN IMMEDIATE</c>)
/// from its first read to its commit: nothing else can change a balance in between. Its maps are kept
/// between batches so a batch allocates nothing per charge.
/// </summary>
internal sealed class SqliteLedgerBatch(SqliteLedgerStatements statements)
{
    private readonly Dictionary<string, AccountTally> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _keys = new(StringComparer.Ordinal);
    private long _now;

    /// <summary>Starts a batch whose rows are stamped <paramref name="now"/> (Unix ms).</summary>
    public void Begin(long now)
    {
        _accounts.Clear();
        _keys.Clear();
        _now = now;
    }

    /// <summary>
    /// The charge capped at the balance, so the balance never goes below zero, written as its generation record; not
    /// applied when the account does not exist or the generation is already recorded.
    /// </summary>
    public AppliedEntry Charge(ChargeEntry charge)
    {
        ref var account = ref CollectionsMarshal.GetValueRefOrAddDefault(_accounts, charge.AccountId, out var known);
        if (!known)
        {
            if (statements.ReadBalance(charge.AccountId) is not { } balance)
            {
                _accounts.Remove(charge.AccountId);
                return new AppliedEntry(charge, false, 0);
            }
            account.Balance = balance;
        }
        var charged = Math.Min(charge.AmountNanos, account.Balance);
        var after = account.Balance - charged;
        if (!statements.InsertCharge(charge, charged, after)) return new AppliedEntry(charge, false, 0);
        account.Balance = after;
        account.Usage += charged;
        account.Charged = true;
        CollectionsMarshal.GetValueRefOrAddDefault(_keys, charge.Generation.KeyId, out _) += charged;
        return new AppliedEntry(charge with { AmountNanos = charged }, true, after);
    }

    /// <summary>Writes the batch's balances and usage to the account and key rows; before the commit, and before any other statement reads them.</summary>
    public void Flush()
    {
        foreach (var (id, account) in _accounts)
            if (account.Charged) statements.UpdateAccount(id, account.Balance, account.Usage);
        foreach (var (id, usage) in _keys) statements.UpdateKey(id, usage, _now);
        _accounts.Clear();
        _keys.Clear();
    }

    private struct AccountTally
    {
        public long Balance;
        public long Usage;
        public bool Charged;
    }
}
