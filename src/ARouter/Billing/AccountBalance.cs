namespace ARouter.Billing;

/// <summary>
/// The in-memory view of one account's money. <see cref="Committed"/> is the database balance as
/// of the last write this process made (or read); settled charges wait in <see cref="Unflushed"/>
/// until the ledger writer commits them; in-flight requests hold <see cref="Reserved"/>.
/// All fields are guarded by locking the instance.
/// </summary>
public sealed class AccountBalance(string accountId, long committed)
{
    public string AccountId { get; } = accountId;
    public long Committed { get; set; } = committed;
    public long Unflushed { get; set; }
    public long Reserved { get; set; }
    public long LastTouched { get; set; }

    public long Available => Committed - Unflushed - Reserved;
    public long Balance => Committed - Unflushed;

    /// <summary>Spend of this account's keys that carry a limit, guarded by the same lock as the balance.</summary>
    public Dictionary<string, KeySpend> Keys { get; } = new(StringComparer.Ordinal);

    /// <summary>The spend record of a key with a limit, created from its key record the first time it is seen here.</summary>
    public KeySpend SpendOf(string keyId, KeyLimit limit)
    {
        lock (this)
        {
            if (!Keys.TryGetValue(keyId, out var spend)) Keys[keyId] = spend = new KeySpend(limit.UsedNanos);
            spend.LimitNanos = limit.LimitNanos;
            return spend;
        }
    }

    /// <summary>A settled charge waits here until the ledger writer has committed it.</summary>
    public void AddPending(long chargeNanos, KeySpend? spend)
    {
        lock (this)
        {
            Unflushed += chargeNanos;
            if (spend is not null) spend.UsedNanos += chargeNanos;
        }
    }
}

/// <summary>What one key with a spend limit has used and holds; reserved under its account's lock.</summary>
public sealed class KeySpend(long usedNanos)
{
    public long LimitNanos { get; set; }
    public long UsedNanos { get; set; } = usedNanos;
    public long ReservedNanos { get; set; }

    public long Remaining => LimitNanos - UsedNanos - ReservedNanos;
}

/// <summary>A key's spend limit as its record states it, with the usage the database had when the record was read.</summary>
public readonly record struct KeyLimit(long LimitNanos, long UsedNanos);
