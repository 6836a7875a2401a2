using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace ARouter.Dashboard;

/// <summary>
/// Brute-force brakes for the dashboard: failed sign-ins are counted per email and per client address
/// in a fixed window; once either count is used up, sign-in is refused (even with the right password)
/// until the window ends. Sign-ups are limited per address the same way. In memory, per process.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failuresByEmail;
    private readonly PartitionedRateLimiter<string> _failuresByAddress;
    private readonly PartitionedRateLimiter<string> _signupsByAddress;

    public SignInThrottle(IOptions<DashboardOptions> options)
    {
        var o = options.Value;
        Window = TimeSpan.FromMinutes(Math.Max(1, o.ThrottleWindowMinutes));
        _failuresByEmail = Limiter(o.FailuresPerEmail);
        _failuresByAddress = Limiter(o.FailuresPerAddress);
        _signupsByAddress = Limiter(o.SignupsPerAddress);
    }

    public TimeSpan Window { get; }

    /// <summary>False when this email or address has used up its failed attempts for the window.</summary>
    public bool MayTrySignIn(string emailNormalized, string address)
        => Available(_failuresByEmail, emailNormalized) && Available(_failuresByAddress, address);

    public void RecordFailure(string emailNormalized, string address)
    {
        using var byEmail = _failuresByEmail.AttemptAcquire(emailNormalized);
        using var byAddress = _failuresByAddress.AttemptAcquire(address);
    }

    /// <summary>Counts a sign-up attempt from the address; false when it has used up its sign-ups for the window.</summary>
    public bool TrySignUp(string address)
    {
        using var lease = _signupsByAddress.AttemptAcquire(address);
        return lease.IsAcquired;
    }

    private static bool Available(PartitionedRateLimiter<string> limiter, string partition)
        => (limiter.GetStatistics(partition)?.CurrentAvailablePermits ?? 1) > 0;

    private PartitionedRateLimiter<string> Limiter(int permits) => PartitionedRateLimiter.Create<string, string>(partition =>
        RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public void Dispose()
    {
        _failuresByEmail.Dispose();
        _failuresByAddress.Dispose();
        _signupsByAddress.Dispose();
    }
}
