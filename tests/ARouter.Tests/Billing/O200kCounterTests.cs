using System.Text;
using ARouter.Billing;
using ARouter.Tests.Infrastructure;
using CsCheck;
using Microsoft.ML.Tokenizers;

namespace ARouter.Tests.Billing;

/// <summary>The gateway's own o200k counter against the tokenizer it replaced, Microsoft.ML.Tokenizers' <c>TiktokenTokenizer</c>.</summary>
public sealed class O200kCounterTests
{
    private static readonly Lazy<O200kCounter> Counter = new(O200kCounter.Load);
    private static readonly Lazy<Tokenizer> Reference = new(NewReference);

    /// <summary>
    /// The library as the gateway used it, but with a cache that never evicts: its own (8,192 pieces) miscounts once it
    /// starts evicting (measured: a paragraph of 167 tokens counts 179 after 8,300 distinct words were counted).
    /// </summary>
    private static Tokenizer NewReference()
    {
        using var vocabulary = O200kRanks.OpenVocabulary();
        return TiktokenTokenizer.CreateForModel("gpt-4o", vocabulary, extraSpecialTokens: null, cacheSize: 1 << 24, normalizer: null);
    }

    [Theory]
    [InlineData("")]
    [InlineData("!")]
    [InlineData("Say hello.")]
    [InlineData("hello<|endoftext|>world<|endofprompt|><|endoftext|>")]
    [InlineData("<|endoftext| <| |> <|endofprompt")]
    [InlineData("I'm sure they'LL say it's what we'd've done, DON'T you")]
    [InlineData("1234567890 3.14159 1,000,000 ١٢٣ ⅫⅦ")]
    [InlineData("  leading, trailing  \n\n\r\n\t\tindented\r\n  ")]
    [InlineData("path/to/file.cs:12 => x?.y ?? z; /* c */ // d\n")]
    [InlineData("lone \uD83D surrogates \uDE00 and \uDE00\uD83D reversed")]
    [InlineData("😀👍🏽👨‍👩‍👧 emoji, 日本語のテキスト、中文，한국어 текст, עברית, العربية")]
    [InlineData("e\u0301 a\u0308 combining marks, \u200B zero width, \uFEFF bom")]
    [InlineData("ΑΒΓ αβγ ÄÖÜ äöü ǅungla ǈ Titlecase")]
    public void Counts_as_the_library_does(string text) => AgreesOn(text);

    private static void AgreesOn(string text)
    {
        var expected = Reference.Value.CountTokens(text);
        var actual = Counter.Value.Count(text);
        if (expected != actual)
            Assert.Fail($"library {expected}, gateway {actual} for \"{string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}"))}\"");
    }

    [Fact]
    public void Counts_as_the_library_does_on_generated_text()
    {
        // Pieces of every kind the pattern tells apart, glued in random order and lengths.
        var fragments = new[]
        {
            "the", "The", "THE", "ing", "'s", "'T", "'re", "'LL", "'d", " ", "  ", "\t", "\n", "\r\n", "\n\n", "   \n",
            "0", "42", "1234", "3.5", "-", "_", "/", "//", "...", "!!", "?", "{", "}", "(\"", "\");", "<|", "|>",
            "<|endoftext|>", "<|endofprompt|>", "é", "e\u0301", "ß", "İ", "ǅ", "日本", "中文", "한국", "ру", "ع", "😀", "👍🏽",
            "\u200B", "\uD83D", "\uDE00", "\u00A0", "\u3000", "ａｂｃ", "Ⅻ", "١٢", "x", "Q", "qu", "ZZ",
        };
        Gen.Int[0, fragments.Length - 1].Array[1, 60]
            .Select(picks => string.Concat(picks.Select(p => fragments[p])))
            .Sample(AgreesOn, iter: 4_000);
    }

    [Fact]
    public void Counts_as_the_library_does_on_random_characters()
        => Gen.Char.Array[0, 80].Select(chars => new string(chars))
            .Sample(AgreesOn, iter: 4_000);

    /// <summary>Real prose, markdown, JSON and C#: this repository's own documents and sources, paragraph by paragraph.</summary>
    [Fact]
    public void Counts_as_the_library_does_on_this_repositorys_files()
    {
        var root = Repository.Root();
        var files = Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md")
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "src", "ARouter", "Billing"), "*.cs"))
            .Append(Path.Combine(root, "src", "ARouter", "Catalog", "catalog.json"))
            .ToList();
        Assert.NotEmpty(files);
        var paragraphs = 0;
        foreach (var file in files)
        {
            foreach (var paragraph in File.ReadAllText(file, Encoding.UTF8).Split("\n\n"))
            {
                // The library's merge is quadratic in a piece; long ones are the estimator's to cut.
                if (paragraph.Length > 4_000) continue;
                AgreesOn(paragraph);
                paragraphs++;
            }
        }
        Assert.True(paragraphs > 200, $"{paragraphs} paragraphs");
    }

    [Fact]
    public void A_count_does_not_depend_on_what_was_counted_before()
    {
        var counter = O200kCounter.Load();
        var text = "The quick brown fox's 3 jumps — über den faulen Hund — 敏捷的狐狸 😀 \uD83D.";
        var first = counter.Count(text);
        var random = new Random(20261202);
        for (var i = 0; i < 10_000; i++)
            counter.Count(new string([.. Enumerable.Range(0, 4 + random.Next(8)).Select(_ => (char)('a' + random.Next(26)))]));
        Assert.Equal(first, counter.Count(text));
    }

    [Fact]
    public void The_vocabulary_is_o200ks_and_small()
    {
        var ranks = O200kRanks.Load();
        Assert.Equal(199_998, ranks.Count);
        Assert.True(ranks.TryGetRank("!"u8, out var first) && first == 0);
        Assert.True(ranks.TryGetRank(" cocos"u8, out var last) && last == 199_997);
        Assert.False(ranks.TryGetRank("<|endoftext|>"u8, out _));
        // The library's dictionaries of the same vocabulary hold ~40 MB.
        Assert.InRange(ranks.BytesHeld, 1, 8L << 20);
    }

    [Fact]
    public void A_vocabulary_whose_ranks_are_not_its_line_numbers_is_refused()
    {
        using var text = new MemoryStream("IQ== 0\nIg== 2\n"u8.ToArray());
        Assert.Throws<InvalidDataException>(() => O200kRanks.Parse(text));
    }
}
