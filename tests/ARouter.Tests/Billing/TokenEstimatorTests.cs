using System.Diagnostics;
using ARouter.Billing;

namespace ARouter.Tests.Billing;

public sealed class TokenEstimatorTests
{
    private static readonly TokenEstimator Tokens = new();

    /// <summary>
    /// Regression: a prompt of one repeated character took quadratic time (200 KB of "a" ≈ 50 s of CPU, a 32 MiB
    /// body would have taken hours) before anything was reserved — a denial of service for the price of one request.
    /// </summary>
    [Fact]
    public void Three_hundred_kilobytes_without_whitespace_are_counted_in_linear_time()
    {
        Tokens.Count("warm up");
        var clock = Stopwatch.StartNew();
        var count = Tokens.Count(new string('a', 300_000));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.InRange(count, 30_000, 60_000);
    }

    [Theory]
    [InlineData("Say hello.")]
    [InlineData("The quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over the lazy dog.")]
    public void Ordinary_text_is_counted_exactly_as_the_tokenizer_does(string text)
        => Assert.Equal(Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("o200k_base").CountTokens(text), Tokens.Count(text));
}
