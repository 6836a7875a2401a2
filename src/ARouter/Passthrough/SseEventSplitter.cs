using System.Buffers;

namespace ARouter.Passthrough;

/// <summary>
/// Cuts SSE bytes into event payloads as they are pushed through, for the usage tap. The gateway's
/// <c>SseReader</c> pulls from a stream; a tap only sees the bytes the forwarder writes, so it needs a push
/// parser. Memory is bounded: an event whose data outgrows the limit is skipped, never buffered further.
/// </summary>
public sealed class SseEventSplitter(int maxEventBytes, Action<ReadOnlyMemory<byte>> onEvent)
{
    private readonly ArrayBufferWriter<byte> _line = new(256);
    private readonly ArrayBufferWriter<byte> _data = new(1024);
    private bool _lineTooLong;
    private bool _eventTooLarge;
    private bool _hasData;
    private bool _afterCr;

    public void Push(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_afterCr && bytes[0] == (byte)'\n') bytes = bytes[1..];
            _afterCr = false;
            var end = bytes.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                Append(bytes);
                return;
            }
            Append(bytes[..end]);
            _afterCr = bytes[end] == (byte)'\r';
            bytes = bytes[(end + 1)..];
            EndLine();
        }
    }

    /// <summary>A last event without its blank line still counts, as <c>SseReader</c> does.</summary>
    public void Complete()
    {
        if (_line.WrittenCount > 0 || _lineTooLong) EndLine();
        Dispatch();
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_lineTooLong || bytes.IsEmpty) return;
        if (_line.WrittenCount + bytes.Length > maxEventBytes)
        {
            _lineTooLong = true;
            _line.ResetWrittenCount();
            return;
        }
        _line.Write(bytes);
    }

    private void EndLine()
    {
        var line = _line.WrittenSpan;
        if (_lineTooLong)
        {
            _eventTooLarge = true;
        }
        else if (line.IsEmpty)
        {
            Dispatch();
        }
        else if (line.StartsWith("data:"u8))
        {
            var value = line[5..];
            if (!value.IsEmpty && value[0] == (byte)' ') value = value[1..];
            if (_hasData) AppendData("\n"u8);
            AppendData(value);
            _hasData = true;
        }
        _line.ResetWrittenCount();
        _lineTooLong = false;
    }

    private void AppendData(ReadOnlySpan<byte> value)
    {
        if (_eventTooLarge) return;
        if (_data.WrittenCount + value.Length > maxEventBytes)
        {
            _eventTooLarge = true;
            return;
        }
        _data.Write(value);
    }

    private void Dispatch()
    {
        if (_hasData && !_eventTooLarge) onEvent(_data.WrittenMemory);
        _data.ResetWrittenCount();
        _hasData = false;
        _eventTooLarge = false;
    }
}
