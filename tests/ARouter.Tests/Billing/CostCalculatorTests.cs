using ARouter.Billing;
using ARouter.Catalog;

namespace ARouter.Tests.Billing;

public class CostCalculatorTests
{
    private static readonly PricePerMillion Price = new() { Prompt = 0.28m, Completion = 0.42m, CacheRead = 0.028m };

    [Fact]
    public void Cost_is_tokens_times_list_price_to_the_nano_dollar()
    {
        // 1,000 × $0.28/M + 500 × $0.42/M = $0.00028 + $0.00021 = $0.00049
        Assert.Equal(490_000, CostCalculator.CostNanos(Price, new TokenUsage(1_000, 500)));
    }

    [Fact]
    public void Cached_prompt_tokens_are_billed_at_the_cache_read_price()
    {
        // 600 uncached × 0.28 + 400 cached × 0.028 = 168 + 11.2 = 179.2 per M → $0.0001792
        Assert.Equal(179_200, CostCalculator.CostNanos(Price, new TokenUsage(1_000, 0, CachedPromptTokens: 400)));
    }

    [Fact]
    public void A_fraction_of_a_nano_dollar_rounds_up_never_to_free()
    {
        // $0.0001 per million tokens: one token is a tenth of a nano-dollar.
        var cheap = new PricePerMillion { Prompt = 0.0001m, Completion = 0.0001m };
        Assert.Equal(1, CostCalculator.CostNanos(cheap, new TokenUsage(1, 0)));
    }

    [Fact]
    public void Worst_case_covers_the_whole_output_allowance()
    {
        Assert.Equal(Money.ToNanos((100 * 0.28m + 4_000 * 0.42m) / 1_000_000m), CostCalculator.WorstCaseNanos(Price, 100, 4_000));
        Assert.True(CostCalculator.WorstCaseNanos(Price, 100, 4_000) >= CostCalculator.CostNanos(Price, new TokenUsage(100, 4_000)));
    }

    [Fact]
    public void Money_round_trips_between_usd_and_nanos()
    {
        Assert.Equal(5_000_000_000, Money.ToNanos(5m));
        Assert.Equal(0.000123456m, Money.FromNanos(123_456));
        Assert.Equal("0.00000028", Money.Format(0.28m / 1_000_000m));
    }
}
