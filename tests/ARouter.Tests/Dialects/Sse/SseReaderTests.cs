using System.Text;
using ARouter.Dialects.Sse;

namespace ARouter.Tests.Dialects.Sse;

public class SseReaderTests
{
    private static async Task<List<(string? Name, string Data)>> ReadAllAsync(string wire)
    {
        var events = new List<(string?, string)>();
        await foreach (var e in SseReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(wire)), () => CancellationToken.None))
            events.Add((e.Name, Encoding.UTF8.GetString(e.Data.Span)));
        return events;
    }

    [Fact]
    public async Task Reads_data_events_and_the_done_sentinel()
    {
        var events = await ReadAllAsync("data: {\"a\":1}\n\ndata: [DONE]\n\n");
        Assert.Equal([(null, "{\"a\":1}"), (null, "[DONE]")], events);
    }

    [Fact]
    public async Task Accepts_crlf_and_cr_line_endings()
    {
        Assert.Equal(2, (await ReadAllAsync("data: one\r\n\r\ndata: two\r\r")).Count);
    }

    [Fact]
    public async Task Skips_comments_such_as_keep_alives_and_keeps_event_names()
    {
        var events = await ReadAllAsync(": keep-alive\n\nevent: message_start\ndata: {}\n\n");
        Assert.Equal([("message_start", "{}")], events);
    }

    [Fact]
    public async Task Joins_multi_line_data_with_line_feeds()
    {
        Assert.Equal("a\nb", (await ReadAllAsync("data: a\ndata: b\n\n"))[0].Data);
    }

    [Fact]
    public async Task Keeps_a_final_event_that_lacks_its_blank_line()
    {
        Assert.Equal("last", (await ReadAllAsync("data: first\n\ndata: last\n"))[1].Data);
    }

    [Fact]
    public async Task Handles_events_split_across_reads()
    {
        var stream = new TrickleStream(Encoding.UTF8.GetBytes("data: {\"x\":\"split\"}\r\n\r\ndata: [DONE]\n\n"));
        var events = new List<string>();
        await foreach (var e in SseReader.ReadAsync(stream, () => CancellationToken.None)) events.Add(Encoding.UTF8.GetString(e.Data.Span));
        Assert.Equal(["{\"x\":\"split\"}", "[DONE]"], events);
    }

    [Fact]
    public async Task Runs_the_before_read_step_only_once_the_events_of_the_last_read_are_handed_out()
    {
        var stream = new PieceStream(["data: a\n\ndata: b\n\n", "data: c\n\n"]);
        var steps = new List<string>();
        await foreach (var e in SseReader.ReadAsync(stream, () => CancellationToken.None, () => { steps.Add("read"); return ValueTask.CompletedTask; }))
            steps.Add(Encoding.UTF8.GetString(e.Data.Span));
        Assert.Equal(["read", "a", "b", "read", "c", "read"], steps);
    }

    /// <summary>Returns one given piece per read.</summary>
    private sealed class PieceStream(string[] pieces) : Stream
    {
        private int _next;
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_next == pieces.Length) return ValueTask.FromResult(0);
            return ValueTask.FromResult(Encoding.UTF8.GetBytes(pieces[_next++], buffer.Span));
        }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Returns one byte per read, the worst case for a framing parser.</summary>
    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(1, count));
    }
}
