using System.Runtime.InteropServices;
using System.Text;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;

namespace ARouter.Billing;

/// <summary>How the tokenizer is loaded (<c>ARouter:Tokenizer</c>, <c>AROUTER__TOKENIZER__...</c>).</summary>
public sealed record TokenizerOptions
{
    /// <summary>
    /// Load the o200k vocabulary on a background thread at start-up rather than on the first exact count. Off by
    /// default: a gateway whose providers report usage and whose callers have credit to spare never needs it (~5 MB).
    /// </summary>
    public bool WarmUp { get; set; }
}

/// <summary>
/// Counts tokens with OpenAI's o200k encoding. For other vendors' models it is an estimate: used to size
/// reservations (with a margin) and to bill a stream that was cut before the upstream reported usage.
/// The vocabulary is loaded on the first exact count; <see cref="Measure(ChatRequest)"/> gives an upper bound without it.
/// </summary>
public sealed class TokenEstimator
{
    private const int PerMessageOverhead = 4;
    /// <summary>A generous per-image figure: OpenAI bills a high-detail 2048px image at about 1,100 tokens.</summary>
    private const int PerImage = 1_500;
    /// <summary>Bytes of raw document per token for PDFs: a page of text is ~3 KB and ~750 tokens.</summary>
    private const int PdfBytesPerToken = 4;

    private readonly Lazy<O200kCounter> _tokenizer = new(O200kCounter.Load, LazyThreadSafetyMode.ExecutionAndPublication);
    /// <summary>Whether the vocabulary has been loaded (by an exact count or a warm-up).</summary>
    internal bool IsLoaded => _tokenizer.IsValueCreated;

    /// <summary>Loads the vocabulary on a thread-pool thread, so the first exact count does not wait for it.</summary>
    public void WarmUpInBackground() => _ = Task.Run(() => _tokenizer.Value);

    /// <summary>
    /// Byte-pair encoding is quadratic in the length of one pre-token, so a long run without whitespace (a megabyte
    /// of "aaaa…", a base64 blob) or of whitespace alone would take minutes of CPU. Runs are cut every this many
    /// characters and counted piece by piece: linear time, and a count that differs from the exact one only at the cuts.
    /// </summary>
    private const int LongestRun = 128;

    public int Count(string text)
    {
        if (text.Length == 0) return 0;
        var tokenizer = _tokenizer.Value;
        var total = 0;
        var pieceStart = 0;
        var run = 0;
        var inWhitespace = false;
        for (var i = 0; i < text.Length; i++)
        {
            var whitespace = char.IsWhiteSpace(text[i]);
            if (whitespace != inWhitespace) (inWhitespace, run) = (whitespace, 0);
            // Never between the halves of a surrogate pair: each half alone would count as a lone surrogate.
            if (++run <= LongestRun || char.IsLowSurrogate(text[i])) continue;
            total += tokenizer.Count(text.AsSpan(pieceStart, i - pieceStart));
            pieceStart = i;
            run = 1;
        }
        return total + tokenizer.Count(text.AsSpan(pieceStart));
    }

    /// <summary>
    /// At least <see cref="Count(string)"/>: o200k is a byte-level BPE, so every token stands for one UTF-8 byte or
    /// more (cuts between runs only split pieces, each still bounded by its bytes). Vectorised, no vocabulary needed.
    /// </summary>
    public static int UpperBound(string text) => Encoding.UTF8.GetByteCount(text);

    /// <summary>Tokens in the prompt as the upstream will roughly see it.</summary>
    public int CountPrompt(ChatRequest request) => Walk(request, exact: true);

    /// <summary>The prompt's upper bound now, its exact count when first asked for.</summary>
    public PromptSize Measure(ChatRequest request)
        => new(Walk(request, exact: false), this, request, static (estimator, input) => estimator.CountPrompt((ChatRequest)input));

    /// <summary>A raw request body's upper bound now (its UTF-8 bytes), its exact count when first asked for. The bytes must outlive the size.</summary>
    public PromptSize Measure(ReadOnlyMemory<byte> utf8)
        => new(utf8.Length, this, utf8, static (estimator, input) => estimator.Count(Encoding.UTF8.GetString(((ReadOnlyMemory<byte>)input).Span)));

    /// <summary>The embedding inputs' upper bound now, their exact count when first asked for.</summary>
    public PromptSize Measure(EmbeddingRequest request)
        => new(Clamp(request.TokenArrayTokens + request.Texts.Sum(t => (long)UpperBound(t))), this, request,
            static (estimator, input) => ((EmbeddingRequest)input).TokenArrayTokens + ((EmbeddingRequest)input).Texts.Sum(estimator.Count));

    /// <summary>
    /// One walk for the exact count and the bound, so the two add the same constants (messages, images, PDFs, tools)
    /// and differ only in how a text is counted — which is what makes the bound a bound.
    /// </summary>
    private int Walk(ChatRequest request, bool exact)
    {
        int TextTokens(string text) => exact ? Count(text) : UpperBound(text);
        long total = 3;
        // Indexed loops: foreach over an IReadOnlyList boxes an enumerator per list, per request.
        var messages = request.Messages;
        for (var m = 0; m < messages.Count; m++)
        {
            var message = messages[m];
            total += PerMessageOverhead;
            var content = message.Content;
            for (var c = 0; c < content.Count; c++)
            {
                total += content[c] switch
                {
                    TextPart text => TextTokens(text.Text),
                    ImagePart => PerImage,
                    FilePart file => (file.Data?.Length ?? 0) * 3L / 4 / PdfBytesPerToken,
                    _ => 0,
                };
            }
            if (message.ToolCalls is { } calls)
                for (var c = 0; c < calls.Count; c++) total += TextTokens(calls[c].Name) + (long)TextTokens(calls[c].ArgumentsJson) + 3;
            if (message.Reasoning is { } reasoning) total += TextTokens(reasoning);
        }
        if (request.Tools is { } tools)
        {
            for (var t = 0; t < tools.Count; t++)
            {
                var tool = tools[t];
                total += TextTokens(tool.Name) + (long)TextTokens(tool.Description ?? "") + (tool.Parameters is { } p ? (exact ? Count(p.GetRawText()) : JsonMarshal.GetRawUtf8Value(p).Length) : 0) + 8;
            }
        }
        return Clamp(total);
    }

    private static int Clamp(long tokens) => (int)Math.Min(int.MaxValue, tokens);

    /// <summary>The prompt estimate with head-room for tokenizers that split text finer than o200k.</summary>
    public static int WithMargin(int tokens) => (int)Math.Min(int.MaxValue, tokens * 5L / 4 + 16);

    public int Count(StringBuilder text) => text.Length == 0 ? 0 : Count(text.ToString());
}
