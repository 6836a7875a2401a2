namespace ARouter.Upstream;

/// <summary>
/// A token bucket of retries for one provider: every request adds <c>ratio</c> of a token (up to <c>burst</c>), every
/// retry takes one whole token. Over time retries stay at most <c>ratio</c> of requests, plus the burst, however long
/// an outage lasts. Lock-free: one <see cref="Interlocked"/> counter in thousandths of a token.
/// </summary>
public sealed class RetryBudget(double ratio, int burst)
{
    private const long Token = 1000;
    private readonly long _deposit = (long)Math.Round(Math.Clamp(ratio, 0, 1) * Token);
    private readonly long _capacity = Math.Max(1, burst) * Token;
    private long _balance = Math.Max(0, burst) * Token;

    public void Deposit()
    {
        long current, next;
        do
        {
            current = Volatile.Read(ref _balance);
            next = Math.Min(_capacity, current + _deposit);
            if (next == current) return;
        }
        while (Interlocked.CompareExchange(ref _balance, next, current) != current);
    }

    public bool TryWithdraw()
    {
        long current;
        do
        {
            current = Volatile.Read(ref _balance);
            if (current < Token) return false;
        }
        while (Interlocked.CompareExchange(ref _balance, current - Token, current) != current);
        return true;
    }
}
