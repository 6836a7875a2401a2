using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;

namespace ARouter.Billing;

/// <summary>
/// Counts tokens of OpenAI's o200k encoding, exactly as Microsoft.ML.Tokenizers' <c>TiktokenTokenizer</c> counts them
/// (its tests compare the two on generated and real text) but over <see cref="O200kRanks"/>: the special tokens count
/// one each, the text between them is split by o200k's pattern, and each piece is byte-pair merged, lowest rank first.
/// Merging is quadratic in a piece's bytes; <see cref="TokenEstimator"/> keeps pieces short.
/// </summary>
public sealed partial class O200kCounter(O200kRanks ranks)
{
    private const int NoRank = int.MaxValue;
    private const string EndOfText = "<|endoftext|>";
    private const string EndOfPrompt = "<|endofprompt|>";

    /// <summary>The pattern of tiktoken's <c>o200k_base</c>, as Microsoft.ML.Tokenizers writes it for .NET's engine.</summary>
    [GeneratedRegex(@"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")]
    private static partial Regex Pieces();

    public static O200kCounter Load() => new(O200kRanks.Load());

    public int Count(ReadOnlySpan<char> text)
    {
        var total = 0;
        while (true)
        {
            var special = NextSpecial(text, out var length);
            if (special < 0) return total + CountOrdinary(text);
            total += CountOrdinary(text[..special]) + 1;
            text = text[(special + length)..];
        }
    }

    private static int NextSpecial(ReadOnlySpan<char> text, out int length)
    {
        for (var from = 0; ;)
        {
            var at = text[from..].IndexOf("<|");
            if (at < 0) break;
            at += from;
            if (text[at..].StartsWith(EndOfText)) { length = EndOfText.Length; return at; }
            if (text[at..].StartsWith(EndOfPrompt)) { length = EndOfPrompt.Length; return at; }
            from = at + 1;
        }
        length = 0;
        return -1;
    }

    private int CountOrdinary(ReadOnlySpan<char> text)
    {
        var total = 0;
        foreach (var piece in Pieces().EnumerateMatches(text)) total += CountPiece(text.Slice(piece.Index, piece.Length));
        return total;
    }

    private int CountPiece(ReadOnlySpan<char> piece)
    {
        var most = 3 * piece.Length;
        byte[]? rented = null;
        var utf8 = most <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(most));
        try
        {
            var bytes = utf8[..ToUtf8(piece, utf8)];
            return bytes.Length == 1 || ranks.TryGetRank(bytes, out _) ? 1 : MergedCount(bytes);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>UTF-8, except that a lone surrogate is written as its own three bytes, as the library does, rather than as U+FFFD.</summary>
    private static int ToUtf8(ReadOnlySpan<char> text, Span<byte> into)
    {
        if (!text.ContainsAnyInRange('\uD800', '\uDFFF')) return Encoding.UTF8.GetBytes(text, into);
        var length = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                length += new Rune(c, text[++i]).EncodeToUtf8(into[length..]);
            }
            else if (char.IsSurrogate(c))
            {
                into[length++] = (byte)(0xE0 | (c >> 12));
                into[length++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                into[length++] = (byte)(0x80 | (c & 0x3F));
            }
            else
            {
                length += new Rune(c).EncodeToUtf8(into[length..]);
            }
        }
        return length;
    }

    /// <summary>
    /// tiktoken's merge: the parts start as single bytes; the adjacent pair whose joined bytes have the lowest rank
    /// (the leftmost of equals) is joined, until no pair is a token. The parts left are the tokens.
    /// </summary>
    private int MergedCount(ReadOnlySpan<byte> piece)
    {
        var n = piece.Length;
        int[]? rented = null;
        var space = n + 1 <= 256 ? stackalloc int[2 * 256] : (rented = ArrayPool<int>.Shared.Rent(2 * (n + 1)));
        try
        {
            // starts[i]: where part i begins (the last entry is the end); pairRanks[i]: the rank of parts i and i + 1 joined.
            var starts = space[..(n + 1)];
            var pairRanks = space.Slice(n + 1, n + 1);
            for (var i = 0; i <= n; i++) starts[i] = i;
            for (var i = 0; i < n - 1; i++) pairRanks[i] = RankOf(piece.Slice(i, 2));
            pairRanks[n - 1] = pairRanks[n] = NoRank;
            var boundaries = n + 1;
            while (true)
            {
                var best = NoRank;
                var at = -1;
                for (var i = 0; i < boundaries - 1; i++)
                    if (pairRanks[i] < best) (best, at) = (pairRanks[i], i);
                if (at < 0) return boundaries - 1;
                starts[(at + 2)..boundaries].CopyTo(starts[(at + 1)..]);
                pairRanks[(at + 2)..boundaries].CopyTo(pairRanks[(at + 1)..]);
                boundaries--;
                pairRanks[at] = at + 2 < boundaries ? RankOf(piece[starts[at]..starts[at + 2]]) : NoRank;
                if (at > 0) pairRanks[at - 1] = RankOf(piece[starts[at - 1]..starts[at + 1]]);
            }
        }
        finally
        {
            if (rented is not null) ArrayPool<int>.Shared.Return(rented);
        }
    }

    private int RankOf(ReadOnlySpan<byte> bytes) => ranks.TryGetRank(bytes, out var rank) ? rank : NoRank;
}
