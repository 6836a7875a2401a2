using System.IO.Pipelines;
using ARouter.Dialects.Sse;

namespace ARouter.Pipeline;

/// <summary>
/// The caller's response body during a stream relay. The events decoded from one read of the provider's stream
/// arrived together, so their flushes are held and sent as one write just before the relay waits for the provider
/// again (<see cref="FlushHeldAsync"/>), as nginx sends what one read brought. No event waits for a later one: when
/// the relay would wait, everything it has is out. A provider that sends one event per packet gets one write per
/// event, as before; a burst (a busy gateway reading late, or a provider sending several events at once) costs one
/// write instead of one per event.
/// </summary>
public sealed class ReadBurstWriter(PipeWriter inner) : PipeWriter
{
    private bool _held;

    /// <summary>While true, <see cref="FlushAsync"/> only notes that something is waiting to go out.</summary>
    public bool Holding { get; set; }

    /// <summary>Sends what held flushes left in the body; throws <see cref="ClientGoneException"/> if the caller has gone.</summary>
    public ValueTask FlushHeldAsync(CancellationToken ct)
    {
        if (!_held) return ValueTask.CompletedTask;
        _held = false;
        return SseWriter.FlushOrThrowIfGoneAsync(inner, ct);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!Holding) return inner.FlushAsync(cancellationToken);
        _held = true;
        return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
    }

    public override void Advance(int bytes) => inner.Advance(bytes);
    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);
    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
    public override void CancelPendingFlush() => inner.CancelPendingFlush();
    public override void Complete(Exception? exception = null) => inner.Complete(exception);
    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);
    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
    public override long UnflushedBytes => inner.UnflushedBytes;
}
