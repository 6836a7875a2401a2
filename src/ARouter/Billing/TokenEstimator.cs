using System.Text;
using ARouter.Dialects.Canonical;
using Microsoft.ML.Tokenizers;

namespace ARouter.Billing;

/// <summary>
/// Counts tokens with OpenAI's o200k encoding. For other vendors' models it is an estimate: used to size
/// reservations (with a margin) and to bill a stream that was cut before the upstream reported usage.
/// </summary>
public sealed class TokenEstimator
{
    private const int PerMessageOverhead = 4;
    /// <summary>A generous per-image figure: OpenAI bills a high-detail 2048px image at about 1,100 tokens.</summary>
    private const int PerImage = 1_500;
    /// <summary>Bytes of raw document per token for PDFs: a page of text is ~3 KB and ~750 tokens.</summary>
    private const int PdfBytesPerToken = 4;

    private readonly Tokenizer _tokenizer = TiktokenTokenizer.CreateForEncoding("o200k_base");

    /// <summary>
    /// Byte-pair encoding is quadratic in the length of one pre-token, so a long run without whitespace (a megabyte
    /// of "aaaa…", a base64 blob) would take minutes of CPU. Runs are cut every this many characters and counted
    /// piece by piece: linear time, and a count that differs from the exact one only at the cuts.
    /// </summary>
    private const int LongestRun = 128;

    public int Count(string text)
    {
        if (text.Length == 0) return 0;
        var total = 0;
        var pieceStart = 0;
        var run = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                run = 0;
                continue;
            }
            if (++run <= LongestRun) continue;
            total += _tokenizer.CountTokens(text.AsSpan(pieceStart, i - pieceStart));
            pieceStart = i;
            run = 1;
        }
        return total + _tokenizer.CountTokens(text.AsSpan(pieceStart));
    }

    /// <summary>Tokens in the prompt as the upstream will roughly see it.</summary>
    public int CountPrompt(ChatRequest request)
    {
        var total = 3;
        foreach (var message in request.Messages)
        {
            total += PerMessageOverhead;
            foreach (var part in message.Content)
            {
                total += part switch
                {
                    TextPart text => Count(text.Text),
                    ImagePart => PerImage,
                    FilePart file => (file.Data?.Length ?? 0) * 3 / 4 / PdfBytesPerToken,
                    _ => 0,
                };
            }
            if (message.ToolCalls is { } calls)
                foreach (var call in calls) total += Count(call.Name) + Count(call.ArgumentsJson) + 3;
            if (message.Reasoning is { } reasoning) total += Count(reasoning);
        }
        if (request.Tools is { } tools)
        {
            foreach (var tool in tools)
                total += Count(tool.Name) + Count(tool.Description ?? "") + (tool.Parameters is { } p ? Count(p.GetRawText()) : 0) + 8;
        }
        return total;
    }

    /// <summary>The prompt estimate with head-room for tokenizers that split text finer than o200k.</summary>
    public static int WithMargin(int tokens) => (int)Math.Min(int.MaxValue, tokens * 5L / 4 + 16);

    public int Count(StringBuilder text) => text.Length == 0 ? 0 : Count(text.ToString());
}
