using System.Buffers;

namespace ARouter.Dialects.OpenAi;

/// <summary>
/// Where each top-level property of the chunk <see cref="OpenAiStreamDecoder"/> just read sits in its bytes, recorded
/// during that one reader pass. A caller that speaks OpenAI gets the chunk spliced from those bytes: the gateway's
/// <c>id</c> and <c>model</c> first, then every other property exactly as the provider wrote it — no second read of
/// the chunk, nothing re-escaped. The decoder has already checked the whole chunk is valid JSON and valid Unicode.
/// </summary>
public sealed class OpenAiChunkLayout
{
    /// <summary>Chunks carry about eight; one with more (or a repeated id, model or usage) is rewritten the long way.</summary>
    private const int MaxProperties = 24;

    private readonly (int Start, int End, RootProperty Kind)[] _properties = new (int, int, RootProperty)[MaxProperties];
    private int _count;
    private RootProperty _seen;

    [Flags]
    internal enum RootProperty : byte { Other = 0, Id = 1, Model = 2, Usage = 4 }

    /// <summary>Whether <see cref="WriteRewritten"/> can be used for the chunk just read.</summary>
    public bool Spliceable { get; private set; }

    internal void Reset()
    {
        _count = 0;
        _seen = RootProperty.Other;
        Spliceable = true;
    }

    /// <summary>Records one property: from its name's opening quote to the end of its value.</summary>
    internal void Add(long start, long end, RootProperty kind)
    {
        if (_count == MaxProperties || (kind != RootProperty.Other && (_seen & kind) != 0))
        {
            Spliceable = false;
            return;
        }
        _seen |= kind;
        _properties[_count++] = (checked((int)start), checked((int)end), kind);
    }

    /// <summary>
    /// Writes the chunk with <paramref name="idAndModel"/> (the gateway's <c>{"id":…,"model":…</c>, JSON-encoded once
    /// per stream) in place of the provider's, and without the top-level <c>usage</c> when <paramref name="stripUsage"/>.
    /// </summary>
    public void WriteRewritten(IBufferWriter<byte> output, ReadOnlySpan<byte> chunk, ReadOnlySpan<byte> idAndModel, bool stripUsage)
    {
        output.Write(idAndModel);
        for (var i = 0; i < _count; i++)
        {
            var (start, end, kind) = _properties[i];
            if (kind is RootProperty.Id or RootProperty.Model || (stripUsage && kind == RootProperty.Usage)) continue;
            output.Write(","u8);
            output.Write(chunk[start..end]);
        }
        output.Write("}"u8);
    }
}
