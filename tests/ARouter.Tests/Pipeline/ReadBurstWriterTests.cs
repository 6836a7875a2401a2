using System.Buffers;
using System.IO.Pipelines;
using ARouter.Dialects.Sse;
using ARouter.Pipeline;

namespace ARouter.Tests.Pipeline;

public class ReadBurstWriterTests
{
    [Fact]
    public async Task While_holding_a_flush_sends_nothing_until_the_held_flush()
    {
        var pipe = new Pipe();
        var writer = new ReadBurstWriter(pipe.Writer) { Holding = true };

        writer.Write("data: a\n\n"u8);
        await writer.FlushAsync();
        writer.Write("data: b\n\n"u8);
        await writer.FlushAsync();
        Assert.False(pipe.Reader.TryRead(out _));

        await writer.FlushHeldAsync(CancellationToken.None);
        Assert.True(pipe.Reader.TryRead(out var sent));
        Assert.Equal("data: a\n\ndata: b\n\n"u8.ToArray(), BuffersExtensions.ToArray(sent.Buffer));
    }

    [Fact]
    public async Task Not_holding_each_flush_goes_out_and_a_held_flush_with_nothing_held_does_nothing()
    {
        var pipe = new Pipe();
        var writer = new ReadBurstWriter(pipe.Writer);

        writer.Write("x"u8);
        await writer.FlushAsync();
        Assert.True(pipe.Reader.TryRead(out var sent));
        Assert.Equal(1, sent.Buffer.Length);
        pipe.Reader.AdvanceTo(sent.Buffer.End);

        await writer.FlushHeldAsync(CancellationToken.None);
        Assert.False(pipe.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_held_flush_to_a_caller_that_has_gone_throws_client_gone()
    {
        var pipe = new Pipe();
        var writer = new ReadBurstWriter(pipe.Writer) { Holding = true };
        await pipe.Reader.CompleteAsync();

        writer.Write("data: a\n\n"u8);
        await writer.FlushAsync();
        await Assert.ThrowsAsync<ClientGoneException>(() => writer.FlushHeldAsync(CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task An_event_written_in_pieces_reaches_the_response_as_one_write()
    {
        var pipe = new Pipe();
        var counting = new CountingWriter(pipe.Writer);
        var writer = new ReadBurstWriter(counting);

        writer.Write("data: "u8);
        writer.Write("{\"id\":\"gen-1\""u8);
        writer.Write(",\"choices\":[]"u8);
        writer.Write("}"u8);
        writer.Write("\n\n"u8);
        Assert.Equal(0, counting.Advances);
        Assert.Equal(35, writer.UnflushedBytes);

        await writer.FlushAsync();
        Assert.Equal(1, counting.Advances);
        Assert.True(pipe.Reader.TryRead(out var sent));
        Assert.Equal("data: {\"id\":\"gen-1\",\"choices\":[]}\n\n"u8.ToArray(), BuffersExtensions.ToArray(sent.Buffer));
    }

    [Fact]
    public async Task Completing_sends_what_was_written_after_the_last_flush()
    {
        var pipe = new Pipe();
        using var writer = new ReadBurstWriter(pipe.Writer);

        writer.Write("data: [DONE]\n\n"u8);
        await writer.CompleteAsync();

        var read = await pipe.Reader.ReadAsync();
        Assert.Equal("data: [DONE]\n\n"u8.ToArray(), BuffersExtensions.ToArray(read.Buffer));
        Assert.True(read.IsCompleted);
    }

    [Fact]
    public async Task A_large_event_goes_out_whole()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        using var writer = new ReadBurstWriter(pipe.Writer);
        var big = new byte[100_000];
        Random.Shared.NextBytes(big);

        writer.Write(big);
        await writer.FlushAsync();

        var read = await pipe.Reader.ReadAsync();
        Assert.Equal(big, BuffersExtensions.ToArray(read.Buffer));
    }

    /// <summary>Counts the pieces a writer hands on, as Kestrel's response writer would take its lock for each.</summary>
    private sealed class CountingWriter(PipeWriter inner) : PipeWriter
    {
        public int Advances { get; private set; }

        public override void Advance(int bytes)
        {
            Advances++;
            inner.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
        public override void CancelPendingFlush() => inner.CancelPendingFlush();
        public override void Complete(Exception? exception = null) => inner.Complete(exception);
        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
        public override long UnflushedBytes => inner.UnflushedBytes;
    }
}
