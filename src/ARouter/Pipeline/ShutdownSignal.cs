using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ARouter.Pipeline;

/// <summary>
/// Fires <see cref="GatewayOptions.ShutdownGraceSeconds"/> after the process was asked to stop (SIGTERM). Until
/// then in-flight requests run on; streams still open when it fires are ended with an error event (and charged
/// for what was generated) instead of being cut when the host's own shutdown timeout aborts their connections.
/// </summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _graceOver = new();
    private readonly CancellationTokenRegistration _registration;

    public ShutdownSignal(IHostApplicationLifetime lifetime, IOptions<GatewayOptions> options)
    {
        var grace = TimeSpan.FromSeconds(Math.Max(0, options.Value.ShutdownGraceSeconds));
        _registration = lifetime.ApplicationStopping.Register(() => _graceOver.CancelAfter(grace));
    }

    /// <summary>Cancelled once the shutdown grace period is over.</summary>
    public CancellationToken GraceOver => _graceOver.Token;

    public void Dispose()
    {
        _registration.Dispose();
        _graceOver.Dispose();
    }
}
