using ARouter.Routing;
using ARouter.Upstream;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ARouter.Tests.Upstream;

public sealed class ProviderObservationsTests
{
    private static readonly HealthOptions Settings = new() { ErrorWindow = 4, MinimumSamples = 2, EwmaWeight = 0.5 };

    private static ProviderObservations Observations() => new(Options.Create(Settings));

    [Fact]
    public void The_error_ratio_counts_only_the_latest_calls_in_the_window_and_only_after_enough_of_them()
    {
        var observed = Observations();
        observed.Failed("xai", "xai/a");
        Assert.Null(observed.Of("xai", "xai/a").ErrorRatio);

        observed.Failed("xai", "xai/a");
        Assert.Equal(1.0, observed.Of("xai", "xai/a").ErrorRatio);

        for (var i = 0; i < 3; i++) observed.Succeeded("xai", "xai/a", null, null);
        Assert.Equal(0.25, observed.Of("xai", "xai/a").ErrorRatio);
        observed.Succeeded("xai", "xai/a", null, null);
        Assert.Equal(0.0, observed.Of("xai", "xai/a").ErrorRatio);
    }

    [Fact]
    public void Latency_and_throughput_are_moving_averages_and_a_model_without_its_own_uses_its_providers()
    {
        var observed = Observations();
        observed.Succeeded("openai", "openai/big", TimeSpan.FromMilliseconds(100), 10);
        observed.Succeeded("openai", "openai/big", TimeSpan.FromMilliseconds(300), 30);

        var big = observed.Of("openai", "openai/big");
        Assert.Equal(200, big.FirstByteMs);
        Assert.Equal(20, big.TokensPerSecond);
        // Never called itself: the provider's figures stand in.
        Assert.Equal(200, observed.Of("openai", "openai/mini").FirstByteMs);
        Assert.Null(observed.Of("groq", "groq/x").FirstByteMs);
    }

    [Fact]
    public void Sorting_by_latency_moves_measured_models_among_their_own_places_and_puts_sick_ones_last()
    {
        var options = Options.Create(Settings);
        var observed = new ProviderObservations(options);
        var ranking = new CandidateRanking(observed, new ProviderHealth(options, Options.Create(new UpstreamOptions()), TimeProvider.System, NullLogger<ProviderHealth>.Instance), options);
        observed.Succeeded("slow", "slow/m", TimeSpan.FromMilliseconds(900), null);
        observed.Succeeded("fast", "fast/m", TimeSpan.FromMilliseconds(50), null);
        observed.Failed("sick", "sick/m");
        observed.Failed("sick", "sick/m");

        var order = ranking.ByLatency(["sick/m", "slow/m", "new/m", "fast/m"]);

        Assert.Equal(["fast/m", "new/m", "slow/m", "sick/m"], order);
        Assert.Equal(["slow/m", "new/m", "fast/m", "sick/m"], ranking.HealthyFirst(["sick/m", "slow/m", "new/m", "fast/m"]));
    }

    [Fact]
    public void The_retry_budget_allows_its_burst_then_a_retry_per_ten_requests()
    {
        var budget = new RetryBudget(0.1, burst: 2);
        Assert.True(budget.TryWithdraw());
        Assert.True(budget.TryWithdraw());
        Assert.False(budget.TryWithdraw());

        for (var i = 0; i < 9; i++) budget.Deposit();
        Assert.False(budget.TryWithdraw());
        budget.Deposit();
        Assert.True(budget.TryWithdraw());
        Assert.False(budget.TryWithdraw());

        // Quiet times refill it only up to the burst.
        for (var i = 0; i < 1000; i++) budget.Deposit();
        Assert.True(budget.TryWithdraw());
        Assert.True(budget.TryWithdraw());
        Assert.False(budget.TryWithdraw());
    }
}
