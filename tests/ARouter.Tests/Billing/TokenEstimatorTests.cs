using System.Diagnostics;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;

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

    /// <summary>Regression: a run of whitespace was one piece too (50,000 spaces took 0.8 s in the library, a megabyte minutes).</summary>
    [Fact]
    public void A_megabyte_of_whitespace_is_counted_in_linear_time()
    {
        Tokens.Count("warm up");
        var clock = Stopwatch.StartNew();
        var count = Tokens.Count(new string(' ', 700_000) + "x" + new string('\n', 300_000));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.InRange(count, 1_000, 1_000_001);
    }

    [Theory]
    [InlineData("Say hello.")]
    [InlineData("The quick brown fox jumps over the lazy dog, twice: the quick brown fox jumps over the lazy dog.")]
    public void Ordinary_text_is_counted_exactly_as_the_tokenizer_does(string text)
        => Assert.Equal(Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("o200k_base").CountTokens(text), Tokens.Count(text));
}

/// <summary>The cheap bound that sizes holds and context checks before (or instead of) an exact count.</summary>
public sealed class PromptBoundTests
{
    private static readonly TokenEstimator Tokens = new();

    public static TheoryData<string> Texts()
    {
        var random = new Random(20261201);
        string Of(string alphabet, int length) => new([.. Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)])]);
        return new TheoryData<string>
        {
            "",
            "Say hello.",
            "<|endoftext|><|endofprompt|> special tokens as text",
            new string('a', 1_000),
            string.Concat(Enumerable.Repeat("😀", 300)),
            "x" + string.Concat(Enumerable.Repeat("😀", 300)),
            "lone \uD83D surrogates \uDE00 and \uDE00\uD83D reversed",
            string.Concat(Enumerable.Repeat("日本語のテキスト、", 200)),
            Of("abcdefghijklmnopqrstuvwxyz0123456789 \n\t.,;{}[]\"'", 20_000),
            Of("аб在🙂\u0301\u200Bé ", 5_000),
            Convert.ToBase64String([.. Enumerable.Range(0, 30_000).Select(i => (byte)random.Next(256))]),
        };
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public void A_texts_bound_is_never_below_its_count(string text)
        => Assert.InRange(Tokens.Count(text), 0, TokenEstimator.UpperBound(text));

    [Fact]
    public void A_prompts_bound_is_never_below_its_count_and_is_known_without_loading_the_tokenizer()
    {
        var fresh = new TokenEstimator();
        var body = JsonSerializer.Serialize(new
        {
            model = "m",
            messages = new object[]
            {
                new { role = "system", content = "Be brief. 😀😀" },
                new { role = "user", content = new object[] { new { type = "text", text = string.Concat(Enumerable.Repeat("hello world, ", 400)) }, new { type = "image_url", image_url = new { url = "data:image/png;base64,iVBORw0KGgo=" } } } },
                new { role = "assistant", content = "", tool_calls = new[] { new { id = "call_1", type = "function", function = new { name = "weather", arguments = """{"city":"Zürich"}""" } } } },
                new { role = "tool", tool_call_id = "call_1", content = "sunny, 東京 too" },
            },
            tools = new[] { new { type = "function", function = new { name = "weather", description = "Current weather for a city", parameters = new { type = "object", properties = new { city = new { type = "string", description = "Zürich, 東京" } } } } } },
        });
        using var source = new SourceDocument(CallerDialect.OpenAi, JsonDocument.Parse(body));
        var request = OpenAiChatDecoder.Decode(source);

        var size = fresh.Measure(request);
        Assert.False(fresh.IsLoaded);
        Assert.False(size.IsCounted);
        Assert.Equal(Tokens.CountPrompt(request), size.Exact);
        Assert.True(fresh.IsLoaded);
        Assert.InRange(size.Exact, 1, size.Bound);
    }
}
