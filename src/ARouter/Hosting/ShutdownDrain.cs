using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ARouter.Hosting;

/// <summary><c>ARouter:Shutdown</c>: how long a stopping gateway lets in-flight requests finish.</summary>
public sealed record ShutdownOptions
{
    /// <summary>In-flight requests and streams get this long after SIGTERM; a stream still running then is ended with an error event.</summary>
    public double DrainSeconds { get; set; } = 25;

    /// <summary>Time after the drain for the last settles and the ledger flush, before the host stops waiting for the server.</summary>
    public static readonly TimeSpan SettleMargin = TimeSpan.FromSeconds(5);

    public TimeSpan Drain => TimeSpan.FromSeconds(Math.Max(0, DrainSeconds));
}

/// <summary>
/// Fires <see cref="Draining"/> when the drain time after the host began stopping has passed. Kestrel stops
/// accepting connections at once and waits for running requests until the host's shutdown timeout (the drain plus
/// <see cref="ShutdownOptions.SettleMargin"/>) and then aborts them — which would cut a stream without an error event.
/// So a stream still running at the end of the drain ends itself properly (charged for what was generated, an error
/// event in the caller's dialect), its settle goes to the ledger writer, and the writer flushes on stop.
/// </summary>
public sealed class ShutdownDrain : IDisposable
{
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationTokenRegistration _registration;

    public ShutdownDrain(IHostApplicationLifetime lifetime, IOptions<ShutdownOptions> options)
    {
        var drain = options.Value.Drain;
        _registration = lifetime.ApplicationStopping.Register(() =>
        {
            try
            {
                _draining.CancelAfter(drain);
            }
            catch (ObjectDisposedException)
            {
            }
        });
    }

    public CancellationToken Draining => _draining.Token;

    public void Dispose()
    {
        _registration.Dispose();
        _draining.Dispose();
    }
}
