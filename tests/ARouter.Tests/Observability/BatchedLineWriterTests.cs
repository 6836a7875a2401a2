using System.Text;
using ARouter.Observability.Logging;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace ARouter.Tests.Observability;

/// <summary>
/// What the console log does when stdout is not being read (a stuck pipe): the queue stays bounded, loggers wait
/// for room instead of dropping lines, and every line comes out once the pipe moves again.
/// </summary>
public sealed class BatchedLineWriterTests
{
    /// <summary>A stdout whose reader has stopped reading until <see cref="Release"/>.</summary>
    private sealed class StuckStream : MemoryStream
    {
        private readonly ManualResetEventSlim _released = new(false);
        public void Release() => _released.Set();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _released.Wait();
            lock (this) base.Write(buffer);
        }

        public string Text()
        {
            lock (this) return Encoding.UTF8.GetString(ToArray());
        }
    }

    [Fact]
    public async Task With_stdout_stuck_a_full_queue_makes_the_logger_wait_and_no_line_is_lost_once_it_moves()
    {
        var output = new StuckStream();
        var options = ConsoleLogOptions.Default with { FlushDelay = TimeSpan.FromMilliseconds(10), QueueCapacity = 8 };
        var writer = new BatchedLineWriter(output, new SimpleLineFormatter(), options);
        var logger = new ZLoggerLogger("Test", writer, new ZLoggerOptions(), null);

        var logging = Task.Run(() =>
        {
            for (var i = 0; i < 100; i++) logger.LogInformation("line {Number}", i);
        });
        // The writer holds one batch in its stuck write; the rest fill the queue and the logger waits.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(logging.IsCompleted);

        output.Release();
        await logging.WaitAsync(TimeSpan.FromSeconds(30));
        writer.Dispose();

        var text = output.Text();
        for (var i = 0; i < 100; i++) Assert.Contains($"info: Test[0]\n      line {i}\n", text);
    }

    [Fact]
    public async Task A_warning_is_written_at_once_with_the_lines_queued_before_it_while_information_waits_for_the_flush_delay()
    {
        var output = new StuckStream();
        output.Release();
        var writer = new BatchedLineWriter(output, new SimpleLineFormatter(), ConsoleLogOptions.Default with { FlushDelay = TimeSpan.FromMinutes(10) });
        var logger = new ZLoggerLogger("Test", writer, new ZLoggerOptions(), null);

        logger.LogInformation("queued first");
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Equal("", output.Text());

        logger.LogWarning("upstream failed");
        await Infrastructure.Poll.UntilAsync(() => output.Text().Contains("warn: Test[0]\n      upstream failed\n", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.StartsWith("info: Test[0]\n      queued first\n", output.Text());
        writer.Dispose();
    }

    [Fact]
    public void A_newline_inside_a_message_is_indented_so_it_cannot_pass_for_a_line_of_its_own()
    {
        var output = new MemoryStream();
        var writer = new BatchedLineWriter(output, new SimpleLineFormatter(), ConsoleLogOptions.Default);
        var logger = new ZLoggerLogger("Test", writer, new ZLoggerOptions(), null);
        logger.LogWarning("model {Model}", "x\nfail: ARouter[1]");
        writer.Dispose();

        Assert.Equal("warn: Test[0]\n      model x\n      fail: ARouter[1]\n", Encoding.UTF8.GetString(output.ToArray()));
    }
}
