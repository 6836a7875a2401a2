using ARouter.Storage;
using Microsoft.Extensions.Hosting;

namespace ARouter.Auth;

/// <summary>
/// Drops the key cache when another process (the CLI, another instance) changed a key: every key change
/// bumps a version in the database, and this polls it every two seconds. Changes made in this process
/// invalidate their entry at once and do not wait for it.
/// </summary>
public sealed class KeyCacheRefresher(IKeyStore store, KeyAuthenticator authenticator, TimeProvider clock) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? seen = null;
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                var version = await store.GetKeysVersionAsync(stoppingToken);
                if (seen is not null && version != seen) authenticator.InvalidateAll();
                seen = version;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database is briefly unavailable: keep the cache and try again on the next tick.
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
