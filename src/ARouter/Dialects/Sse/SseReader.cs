using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using CommunityToolkit.HighPerformance.Buffers;

namespace ARouter.Dialects.Sse;

/// <summary>
/// The gateway's one SSE parser (WHATWG rules: LF, CR or CRLF line ends; <c>:</c> comments ignored;
/// a blank line ends an event; one space after the colon dropped). Each event's data is the reader's buffer, reused for
/// the next event, so reading costs no allocation per event.
/// </summary>
public static class SseReader
{
    /// <summary>Events larger than this are refused rather than buffered without bound.</summary>
    public const int MaxEventBytes = 16 * 1024 * 1024;

    /// <param name="beforeRead">Runs before each read of the stream once the events already read have been handed out (a relay flushes there).</param>
    public static async IAsyncEnumerable<SseEvent> ReadAsync(Stream stream, Func<CancellationToken> tokenForNextRead, Func<ValueTask>? beforeRead = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true));
        using var data = new ArrayPoolBufferWriter<byte>(1024);
        var names = new EventNames();
        string? name = null;
        var hasData = false;
        try
        {
            while (true)
            {
                if (beforeRead is not null) await beforeRead();
                var result = await reader.ReadAsync(tokenForNextRead());
                var buffer = result.Buffer;
                while (TryReadLine(ref buffer, out var line))
                {
                    if (line.IsEmpty)
                    {
                        if (hasData)
                        {
                            yield return new SseEvent(name, data.WrittenMemory);
                        }
                        data.Clear();
                        name = null;
                        hasData = false;
                        continue;
                    }
                    if (line.FirstSpan[0] == (byte)':') continue;
                    switch (ReadField(line, data, hasData, names, out var eventName))
                    {
                        case Field.Data: hasData = true; break;
                        case Field.Event: name = eventName; break;
                    }
                }
                if (buffer.Length > MaxEventBytes) throw new InvalidDataException("An upstream stream line exceeded the size limit.");
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    // A final event without its blank line still counts (some servers close right after it).
                    if (hasData) yield return new SseEvent(name, data.WrittenMemory);
                    yield break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryAdvanceToAny("\r\n"u8, advancePastDelimiter: false))
        {
            line = default;
            return false;
        }
        var end = reader.Position;
        reader.TryRead(out var delimiter);
        if (delimiter == (byte)'\r')
        {
            // A CR at the very end of the buffer may be the first half of CRLF: wait for more.
            if (reader.End) { line = default; return false; }
            if (reader.TryPeek(out var next) && next == (byte)'\n') reader.Advance(1);
        }
        line = buffer.Slice(0, end);
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private enum Field { Other, Data, Event }

    /// <summary>Reads one non-empty, non-comment line without allocating: a data line's value is appended to <paramref name="data"/>.</summary>
    private static Field ReadField(ReadOnlySequence<byte> line, ArrayPoolBufferWriter<byte> data, bool hasData, EventNames names, out string? eventName)
    {
        eventName = null;
        var bytes = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        var colon = bytes.IndexOf((byte)':');
        var field = colon < 0 ? bytes : bytes[..colon];
        var value = colon < 0 ? [] : bytes[(colon + 1)..];
        if (value.Length > 0 && value[0] == (byte)' ') value = value[1..];
        if (field.SequenceEqual("data"u8))
        {
            if (hasData) data.Write("\n"u8);
            if (data.WrittenCount + value.Length > MaxEventBytes) throw new InvalidDataException("An upstream stream event exceeded the size limit.");
            data.Write(value);
            return Field.Data;
        }
        if (!field.SequenceEqual("event"u8)) return Field.Other;
        eventName = names.Of(value);
        return Field.Event;
    }

    /// <summary>The event names seen on one stream, so a repeated name (Anthropic's <c>content_block_delta</c>) is one string, not one per event.</summary>
    private sealed class EventNames
    {
        private const int Kept = 8;
        private readonly List<(byte[] Utf8, string Name)> _seen = [];

        public string Of(ReadOnlySpan<byte> utf8)
        {
            foreach (var (bytes, name) in _seen)
                if (utf8.SequenceEqual(bytes)) return name;
            var text = Encoding.UTF8.GetString(utf8);
            if (_seen.Count < Kept) _seen.Add((utf8.ToArray(), text));
            return text;
        }
    }
}
