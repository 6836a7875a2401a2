namespace ARouter.Observability.Logging;

/// <summary>How the console log batches its writes (see <see cref="BatchedLineWriter"/>).</summary>
/// <param name="FlushDelay">How long the writer waits after the first line of a batch for more lines; warnings and errors do not wait.</param>
/// <param name="BatchLines">Lines queued that end the wait early.</param>
/// <param name="BatchBytes">Formatted bytes after which a batch is written while draining.</param>
/// <param name="QueueCapacity">Lines queued at most; a caller that finds it full waits until the writer makes room.</param>
/// <param name="StopTimeout">How long a stop waits for the queued lines to be written (stdout blocked).</param>
internal sealed record ConsoleLogOptions(TimeSpan FlushDelay, int BatchLines, int BatchBytes, int QueueCapacity, TimeSpan StopTimeout)
{
    public static ConsoleLogOptions Default { get; } = new(TimeSpan.FromMilliseconds(50), 1024, 256 * 1024, 8192, TimeSpan.FromSeconds(10));
}
