using ARouter.Limits;

namespace ARouter.Tests.Limits;

public sealed class GcraRateLimiterTests
{
    private sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly RateLimitPolicy FivePerTenSeconds = new(5, TimeSpan.FromSeconds(10));

    [Fact]
    public void A_full_bucket_allows_the_burst_then_refuses_with_retry_after_and_refills_over_the_interval()
    {
        var clock = new ManualClock();
        var limiter = new GcraRateLimiter(clock);

        var burst = Enumerable.Range(0, 5).Select(_ => limiter.Acquire("k", FivePerTenSeconds)).ToList();
        Assert.All(burst, d => Assert.True(d.Allowed));
        Assert.Equal([4, 3, 2, 1, 0], burst.Select(d => d.Remaining));
        Assert.All(burst, d => Assert.Equal(5, d.Limit));
        Assert.Equal(clock.Now.AddSeconds(10).ToUnixTimeSeconds(), burst[^1].ResetUnixSeconds);

        var refused = limiter.Acquire("k", FivePerTenSeconds);
        Assert.False(refused.Allowed);
        Assert.Equal(0, refused.Remaining);
        Assert.Equal(2, refused.RetryAfterSeconds);

        clock.Now = clock.Now.AddSeconds(2);
        Assert.True(limiter.Acquire("k", FivePerTenSeconds).Allowed);
        Assert.False(limiter.Acquire("k", FivePerTenSeconds).Allowed);

        clock.Now = clock.Now.AddSeconds(10);
        Assert.Equal(4, limiter.Acquire("k", FivePerTenSeconds).Remaining);
    }

    [Fact]
    public void Refused_requests_do_not_push_the_reset_further_out()
    {
        var clock = new ManualClock();
        var limiter = new GcraRateLimiter(clock);
        for (var i = 0; i < 5; i++) limiter.Acquire("k", FivePerTenSeconds);
        for (var i = 0; i < 100; i++) Assert.False(limiter.Acquire("k", FivePerTenSeconds).Allowed);
        clock.Now = clock.Now.AddSeconds(2);
        Assert.True(limiter.Acquire("k", FivePerTenSeconds).Allowed);
    }

    [Fact]
    public void Keys_are_limited_independently_and_concurrently_exactly()
    {
        var limiter = new GcraRateLimiter(new ManualClock());
        var allowed = 0;
        Parallel.For(0, 1_000, _ => { if (limiter.Acquire("a", new RateLimitPolicy(100, TimeSpan.FromMinutes(1))).Allowed) Interlocked.Increment(ref allowed); });
        Assert.Equal(100, allowed);
        Assert.True(limiter.Acquire("b", new RateLimitPolicy(100, TimeSpan.FromMinutes(1))).Allowed);
    }
}
