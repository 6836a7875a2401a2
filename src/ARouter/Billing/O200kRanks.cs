using System.Buffers;
using System.Buffers.Text;
using System.IO.Compression;
using System.Numerics;
using System.Reflection;

namespace ARouter.Billing;

/// <summary>
/// The o200k vocabulary as byte-pair encoding needs it: the rank of a byte string, or none. One array holds every
/// token's bytes in rank order and one open-addressed table of ranks finds them: ~5 MB, where Microsoft.ML.Tokenizers'
/// own tokenizer keeps three dictionaries of the 200,000 tokens (bytes to id, id to bytes, text to id) in ~40 MB of
/// heap that stays for the process's life. The vocabulary itself is the one that library ships.
/// </summary>
public sealed class O200kRanks
{
    /// <summary>Where the vocabulary lives: the resource of Microsoft's data package (one base64 token per line, its rank the line's number).</summary>
    private const string DataType = "Microsoft.ML.Tokenizers.O200kBaseTokenizerData, Microsoft.ML.Tokenizers.Data.O200kBase";
    private const string DataResource = "o200k_base.tiktoken.deflate";

    private readonly byte[] _bytes;
    /// <summary>Token r is <c>_bytes[_starts[r].._starts[r + 1]]</c>.</summary>
    private readonly int[] _starts;
    /// <summary>Rank + 1 of the token hashed there, 0 for an empty slot; linear probing.</summary>
    private readonly int[] _slots;

    private O200kRanks(byte[] bytes, int[] starts)
    {
        _bytes = bytes;
        _starts = starts;
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Count * 2);
        _slots = new int[size];
        for (var rank = 0; rank < Count; rank++)
        {
            var slot = SlotOf(Token(rank));
            while (_slots[slot] != 0) slot = (slot + 1) & (size - 1);
            _slots[slot] = rank + 1;
        }
    }

    /// <summary>Tokens in the vocabulary.</summary>
    public int Count => _starts.Length - 1;

    /// <summary>The heap the table keeps, in bytes.</summary>
    public long BytesHeld => _bytes.Length + 4L * (_starts.Length + _slots.Length);

    public bool TryGetRank(ReadOnlySpan<byte> token, out int rank)
    {
        var mask = _slots.Length - 1;
        for (var slot = SlotOf(token); _slots[slot] != 0; slot = (slot + 1) & mask)
        {
            rank = _slots[slot] - 1;
            if (Token(rank).SequenceEqual(token)) return true;
        }
        rank = -1;
        return false;
    }

    private ReadOnlySpan<byte> Token(int rank) => _bytes.AsSpan(_starts[rank], _starts[rank + 1] - _starts[rank]);

    /// <summary>FNV-1a with a final mix, so the table's low bits spread; tokens are a few bytes long.</summary>
    private int SlotOf(ReadOnlySpan<byte> token)
    {
        var hash = 2166136261u;
        foreach (var b in token) hash = (hash ^ b) * 16777619u;
        hash ^= hash >> 15;
        hash *= 0x2c1b3c6du;
        hash ^= hash >> 12;
        return (int)(hash & (uint)(_slots.Length - 1));
    }

    public static O200kRanks Load()
    {
        using var text = OpenVocabulary();
        return Parse(text);
    }

    /// <summary>The vocabulary file as text (disposing it closes the resource).</summary>
    internal static Stream OpenVocabulary()
    {
        var data = Type.GetType(DataType, throwOnError: true)!.Assembly;
        var compressed = data.GetManifestResourceStream(DataResource)
            ?? throw new InvalidDataException($"The o200k vocabulary ({DataResource}) is missing from {data.GetName().Name}.");
        return new DeflateStream(compressed, CompressionMode.Decompress);
    }

    /// <summary>Reads a <c>.tiktoken</c> file: an optional <c>Capacity: N</c> line, then one base64 token per line, optionally followed by its rank.</summary>
    public static O200kRanks Parse(Stream text)
    {
        var bytes = new ArrayBufferWriter<byte>(2 << 20);
        var starts = new List<int>(200_001) { 0 };
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var kept = 0;
            int read;
            while ((read = text.Read(buffer, kept, buffer.Length - kept)) > 0)
            {
                var unread = buffer.AsSpan(0, kept + read);
                int newline;
                while ((newline = unread.IndexOf((byte)'\n')) >= 0)
                {
                    AddLine(unread[..newline], bytes, starts);
                    unread = unread[(newline + 1)..];
                }
                if (unread.Length == buffer.Length) throw new InvalidDataException("The o200k vocabulary has a line longer than 64 KiB.");
                unread.CopyTo(buffer);
                kept = unread.Length;
            }
            AddLine(buffer.AsSpan(0, kept), bytes, starts);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new O200kRanks(bytes.WrittenSpan.ToArray(), [.. starts]);
    }

    private static void AddLine(ReadOnlySpan<byte> line, ArrayBufferWriter<byte> bytes, List<int> starts)
    {
        line = line.TrimEnd((byte)'\r');
        if (line.IsEmpty || line.StartsWith("Capacity:"u8)) return;
        var space = line.IndexOf((byte)' ');
        var token = space < 0 ? line : line[..space];
        if (space >= 0 && (!int.TryParse(line[(space + 1)..], out var rank) || rank != starts.Count - 1))
            throw new InvalidDataException("The o200k vocabulary's ranks are not its line numbers.");
        var into = bytes.GetSpan(Base64.GetMaxDecodedFromUtf8Length(token.Length));
        if (Base64.DecodeFromUtf8(token, into, out _, out var written) != OperationStatus.Done)
            throw new InvalidDataException("The o200k vocabulary has a line that is not base64.");
        bytes.Advance(written);
        starts.Add(bytes.WrittenCount);
    }
}
