using System.Text.Json;

namespace ARouter.Dialects.Canonical;

/// <summary>
/// The canonical events one upstream event carried, in order: one instance per stream, refilled for each event, so a
/// stream costs no list, iterator or string per event. Text that had JSON escapes is unescaped into the buffer's own
/// bytes; text without them is a slice of the upstream event itself.
/// </summary>
public sealed class StreamEvents
{
    private StreamEvent[] _items = new StreamEvent[2];
    private byte[]? _unescaped;
    private int _unescapedUsed;
    private int _eventBytes;

    public int Count { get; private set; }

    public StreamEvent this[int index] => index < Count ? _items[index] : throw new ArgumentOutOfRangeException(nameof(index));

    public bool HasFinish
    {
        get
        {
            for (var i = 0; i < Count; i++) if (_items[i].Kind == StreamEventKind.Finish) return true;
            return false;
        }
    }

    /// <summary>Empties the buffer for the next upstream event of <paramref name="eventBytes"/> bytes (its unescaped text cannot be longer).</summary>
    public void Reset(int eventBytes)
    {
        Count = 0;
        _unescapedUsed = 0;
        _eventBytes = eventBytes;
        if (_unescaped is not null && _unescaped.Length < eventBytes) _unescaped = null;
    }

    public void Add(in StreamEvent streamEvent)
    {
        if (Count == _items.Length) Array.Resize(ref _items, Count * 2);
        _items[Count++] = streamEvent;
    }

    public void AddRange(StreamEvents other)
    {
        for (var i = 0; i < other.Count; i++) Add(other._items[i]);
    }

    /// <summary>
    /// The string the reader is on, unescaped: a slice of <paramref name="source"/> (the bytes the reader reads) when it had
    /// no escapes, else a copy in this buffer.
    /// </summary>
    public ReadOnlyMemory<byte> Text(ref Utf8JsonReader reader, ReadOnlyMemory<byte> source)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence) return source.Slice(checked((int)reader.TokenStartIndex) + 1, reader.ValueSpan.Length);
        var destination = Room();
        var written = reader.CopyString(destination.Span);
        _unescapedUsed += written;
        return destination[..written];
    }

    /// <summary>A string element of a parsed document, unescaped into this buffer.</summary>
    public ReadOnlyMemory<byte> Text(JsonElement stringElement)
    {
        var reader = new Utf8JsonReader(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(stringElement));
        reader.Read();
        var destination = Room();
        var written = reader.CopyString(destination.Span);
        _unescapedUsed += written;
        return destination[..written];
    }

    /// <summary>A JSON value of a parsed document as its compact text (Gemini's function-call <c>args</c>).</summary>
    public ReadOnlyMemory<byte> RawJson(JsonElement element)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
        var destination = Room();
        raw.CopyTo(destination.Span);
        _unescapedUsed += raw.Length;
        return destination[..raw.Length];
    }

    private Memory<byte> Room()
    {
        _unescaped ??= new byte[Math.Max(_eventBytes, 256)];
        return _unescaped.AsMemory(_unescapedUsed);
    }
}
