namespace ARouter.Upstream;

/// <summary>Which of a call's timeouts ran out.</summary>
public enum UpstreamTimeoutKind { FirstByte, StreamIdle, Total }

/// <summary>
/// The clock of one upstream call: one token that is cancelled when the caller leaves, when the current phase's
/// timer runs out (time to first byte, then the silence allowed between events), or when the whole call has
/// taken too long. <see cref="Expired"/> says which, so each can be reported for what it is.
/// </summary>
public sealed class UpstreamDeadline : IDisposable
{
    private readonly CancellationTokenSource _total;
    private readonly CancellationTokenSource _phase;
    private readonly CancellationToken _clientAborted;
    private UpstreamTimeoutKind _phaseKind = UpstreamTimeoutKind.FirstByte;
    private bool _receiving;

    public UpstreamDeadline(UpstreamTimeouts timeouts, CancellationToken clientAborted)
    {
        Timeouts = timeouts;
        _clientAborted = clientAborted;
        _total = new CancellationTokenSource(timeouts.Total);
        _phase = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, _total.Token);
        _phase.CancelAfter(timeouts.FirstByte);
    }

    public UpstreamTimeouts Timeouts { get; }
    public CancellationToken Token => _phase.Token;

    /// <summary>The timeout that cancelled <see cref="Token"/>; null while none has, or when the caller left.</summary>
    public UpstreamTimeoutKind? Expired => _clientAborted.IsCancellationRequested || !_phase.IsCancellationRequested ? null
        : _total.IsCancellationRequested ? UpstreamTimeoutKind.Total : _phaseKind;

    /// <summary>Headers arrived: a whole response's body is now read under the idle timer; a stream keeps the first-byte timer until its first event.</summary>
    public void HeadersArrived(bool stream)
    {
        if (stream) return;
        _receiving = true;
        _phaseKind = UpstreamTimeoutKind.StreamIdle;
        if (!_phase.IsCancellationRequested) _phase.CancelAfter(Timeouts.StreamIdle);
    }

    /// <summary>Before each read of the body: once data flows, every read gets the idle timer afresh.</summary>
    public CancellationToken ForNextRead()
    {
        if (_receiving && !_phase.IsCancellationRequested) _phase.CancelAfter(Timeouts.StreamIdle);
        return _phase.Token;
    }

    /// <summary>An event arrived: the idle timer stops until the next read, so a slow caller is not taken for a silent provider.</summary>
    public void EventArrived()
    {
        _receiving = true;
        _phaseKind = UpstreamTimeoutKind.StreamIdle;
        if (!_phase.IsCancellationRequested) _phase.CancelAfter(Timeout.InfiniteTimeSpan);
    }

    /// <summary>Stops the call now, whatever its timers say: the gateway is shutting down and its drain has ended.</summary>
    public void Stop() => _phase.Cancel();

    /// <summary>What the caller is told when <see cref="Expired"/> is set.</summary>
    public string Describe(string provider) => Expired switch
    {
        UpstreamTimeoutKind.Total => $"Provider '{provider}' did not finish within the total time limit of {Seconds(Timeouts.Total)} s; the call was stopped.",
        UpstreamTimeoutKind.StreamIdle => $"Provider '{provider}' sent nothing for {Seconds(Timeouts.StreamIdle)} s; the call was stopped.",
        _ => $"Provider '{provider}' did not answer within {Seconds(Timeouts.FirstByte)} s.",
    };

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _phase.Dispose();
        _total.Dispose();
    }
}
