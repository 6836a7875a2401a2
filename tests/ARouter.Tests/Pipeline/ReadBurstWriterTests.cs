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
}
