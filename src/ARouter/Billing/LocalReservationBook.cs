namespace ARouter.Billing;

/// <summary>
/// Holds credit in this process's memory: a conditional add under the account's lock. Correct for one
/// instance; nothing is written, so a crash can never strand a hold.
/// </summary>
public sealed class LocalReservationBook : IReservationBook
{
    public ValueTask<HoldDecision> HoldAsync(HoldRequest request, CancellationToken ct)
    {
        var account = request.Account;
        var spend = request.KeySpend;
        var amount = request.AmountNanos;
        lock (account)
        {
            if (spend is not null && spend.Remaining < amount) return new(new HoldDecision(ReserveStatus.KeyLimitReached, Math.Max(0, spend.Remaining)));
            var available = account.Available;
            if (available < amount) return new(new HoldDecision(ReserveStatus.InsufficientCredits, Math.Max(0, available)));
            account.Reserved += amount;
            if (spend is not null) spend.ReservedNanos += amount;
            return new(new HoldDecision(ReserveStatus.Reserved, available - amount));
        }
    }

    public ValueTask<long> SettleAsync(Reservation reservation, long costNanos)
    {
        var account = reservation.Account;
        lock (account)
        {
            Unhold(reservation);
            // Never below zero, never past the key's limit: a request that cost more than was reserved is charged at most what is left.
            var ceiling = Math.Max(0, account.Available);
            if (reservation.KeySpend is { } spend) ceiling = Math.Min(ceiling, Math.Max(0, spend.Remaining));
            var charge = Math.Clamp(costNanos, 0, ceiling);
            account.AddPending(charge, reservation.KeySpend);
            return new(charge);
        }
    }

    public void Committed(Reservation reservation, long? balanceAfterNanos) { }

    public void BalanceChanged(string accountId) { }

    public void Release(Reservation reservation)
    {
        lock (reservation.Account) Unhold(reservation);
    }

    private static void Unhold(Reservation reservation)
    {
        reservation.Account.Reserved -= reservation.AmountNanos;
        if (reservation.KeySpend is { } spend) spend.ReservedNanos -= reservation.AmountNanos;
    }
}
