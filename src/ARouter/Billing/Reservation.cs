using ARouter.Storage;

namespace ARouter.Billing;

/// <summary>
/// Credit held for one in-flight request. It ends exactly once: <see cref="SettleAsync"/> charges the
/// real cost, <see cref="Release"/> gives it all back. Later calls are no-ops, so callers can settle in a
/// <c>finally</c> without tracking whether it already happened.
/// </summary>
public sealed class Reservation
{
    private readonly Ledger _ledger;
    private int _ended;

    internal Reservation(Ledger ledger, AccountBalance account, KeySpend? keySpend, string keyId, string generationId, long amountNanos)
    {
        _ledger = ledger;
        Account = account;
        KeySpend = keySpend;
        KeyId = keyId;
        GenerationId = generationId;
        AmountNanos = amountNanos;
    }

    internal AccountBalance Account { get; }
    internal KeySpend? KeySpend { get; }
    public string KeyId { get; }
    public string GenerationId { get; }
    public long AmountNanos { get; }
    public bool IsEnded => Volatile.Read(ref _ended) != 0;
    /// <summary>Told once how the reservation ended (the generation's metadata and what was charged); set by the request's telemetry.</summary>
    internal Action<GenerationRecord?, long>? Ended { get; set; }

    /// <summary>Charges the real cost (capped at what the account holds and the key may still spend) and waits until the charge is durable.</summary>
    /// <returns>The amount charged, in nano-USD.</returns>
    public async ValueTask<long> SettleAsync(long costNanos, GenerationRecord generation)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return 0;
        var charged = await _ledger.SettleAsync(this, costNanos, generation);
        Ended?.Invoke(generation, charged);
        return charged;
    }

    /// <summary>Returns the whole reservation: the request failed or was refused and costs nothing.</summary>
    public void Release(GenerationRecord? generation)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        _ledger.Release(this, generation);
        Ended?.Invoke(generation, 0);
    }
}
