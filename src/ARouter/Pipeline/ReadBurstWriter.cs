using System.Buffers;
using System.IO.Pipelines;
using ARouter.Dialects.Sse;
using CommunityToolkit.HighPerformance.Buffers;

namespace ARouter.Pipeline;

/// <summary>
/// The caller's response body during a stream relay. The events decoded from one read of the provider's stream
/// arrived together, so their flushes are held and sent as one write just before the relay waits for the provider
/// again (<see cref="FlushHeldAsync"/>), as nginx sends what one read brought. No event waits for a later one: when
/// the relay would wait, everything it has is out. A provider that sends one event per packet gets one write per
/// event, as before; a burst (a busy gateway reading late, or a provider sending several events at once) costs one
/// write instead of one per event.
/// </summary>
/// <remarks>
/// The bytes gather in a pooled buffer of the stream's own and reach the response in one copy per flush: an event is
/// written in many small pieces (its framing, the gateway's id and model, each property the provider sent), and every
/// <c>GetSpan</c>/<c>Advance</c> on Kestrel's response writer takes the response's lock.
/// </remarks>
public sealed class ReadBurstWriter(PipeWriter inner) : PipeWriter, IDisposable
{
    private readonly ArrayPoolBufferWriter<byte> _pending = new(8192);
    private bool _held;

    /// <summary>While true, <see cref="FlushAsync"/> only notes that something is waiting to go out.</summary>
    public bool Holding { get; set; }

    /// <summary>Sends what held flushes left in the body; throws <see cref="ClientGoneException"/> if the caller has gone.</summary>
    public ValueTask FlushHeldAsync(CancellationToken ct)
    {
        if (!_held) return ValueTask.CompletedTask;
        _held = false;
        MovePendingOut();
        return SseWriter.FlushOrThrowIfGoneAsync(inner, ct);
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (Holding)
        {
            _held = true;
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
        }
        MovePendingOut();
        return inner.FlushAsync(cancellationToken);
    }

    private void MovePendingOut()
    {
        if (_pending.WrittenCount == 0) return;
        inner.Write(_pending.WrittenSpan);
        // Cleared as well as reset: what was generated does not stay behind in pooled memory.
        _pending.Clear();
    }

    public override void Advance(int bytes) => _pending.Advance(bytes);
    public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);
    public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);
    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null)
    {
        if (exception is null) MovePendingOut();
        inner.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        if (exception is null) MovePendingOut();
        return inner.CompleteAsync(exception);
    }

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;
    public override long UnflushedBytes => inner.UnflushedBytes + _pending.WrittenCount;

    public void Dispose() => _pending.Dispose();
}
