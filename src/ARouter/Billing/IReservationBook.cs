namespace ARouter.Billing;

/// <summary>
/// Where the credit of in-flight requests is held. <see cref="LocalReservationBook"/> holds it in this
/// process (one instance, the default); <c>Scaling/RedisReservationBook</c> holds it in Redis so every
/// instance sees every other instance's holds and two of them can never both spend the last dollar.
/// The <see cref="Ledger"/> stays the only caller; the database stays the truth for balances.
/// </summary>
public interface IReservationBook
{
    /// <summary>Holds <see cref="HoldRequest.AmountNanos"/> if the account (and the key's limit) can cover it.</summary>
    ValueTask<HoldDecision> HoldAsync(HoldRequest request, CancellationToken ct);

    /// <summary>
    /// Turns the hold into the real charge, capped at what the account holds and the key may still spend,
    /// and records it as pending on <see cref="Reservation.Account"/>. Returns the amount to charge.
    /// </summary>
    ValueTask<long> SettleAsync(Reservation reservation, long costNanos);

    /// <summary>The charge is in the database (which left <paramref name="balanceAfterNanos"/>; null when not applied): whatever the book still holds for it can go.</summary>
    void Committed(Reservation reservation, long? balanceAfterNanos);

    /// <summary>Credit was added to the account (committed): any copy of its balance the book keeps is stale.</summary>
    void BalanceChanged(string accountId);

    /// <summary>The request cost nothing: the whole hold goes back.</summary>
    void Release(Reservation reservation);
}

public readonly record struct HoldRequest(AccountBalance Account, KeySpend? KeySpend, KeyLimit? KeyLimit, string KeyId, string GenerationId, long AmountNanos);

public readonly record struct HoldDecision(ReserveStatus Status, long AvailableNanos);
