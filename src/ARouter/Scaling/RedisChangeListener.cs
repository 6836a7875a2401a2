using ARouter.Auth;
using ARouter.Billing;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace ARouter.Scaling;

/// <summary>
/// Hears what other instances changed: a key (dropped from the key cache, so a key disabled anywhere is
/// refused everywhere within a round trip), a stored provider key, or an account's committed balance
/// (re-read so <c>/api/v1/balance</c> is current). After an outage it drops every cached key, since
/// messages sent meanwhile were lost; the <see cref="KeyCacheRefresher"/> keeps polling underneath.
/// </summary>
public sealed class RedisChangeListener(RedisConnection redis, KeyAuthenticator keys, ProviderCredentials providerKeys, Ledger ledger) : BackgroundService
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _refreshing = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        redis.Restored += OnRestored;
        // Subscribing needs a connection; once subscribed, the client re-subscribes by itself after reconnecting.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await redis.Subscriber.SubscribeAsync(redis.Channel(RedisChangeBroadcast.Channel), (_, message) => OnChange(message));
                await redis.Subscriber.SubscribeAsync(redis.Channel(RedisReservationBook.LedgerChannel), (_, message) => OnLedger(message));
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private void OnChange(RedisValue message)
    {
        var text = (string?)message;
        if (text is null) return;
        var parts = text.Split(' ');
        if (parts is ["k", var hash]) keys.Invalidate(hash);
        else if (parts is ["p", var account, var provider]) providerKeys.Invalidate(account, provider);
    }

    private void OnLedger(RedisValue message)
    {
        // "accountId instanceId": this instance already knows its own commits.
        if (((string?)message)?.Split(' ') is not [var accountId, var instance] || instance == redis.InstanceId) return;
        if (!_refreshing.TryAdd(accountId, 0)) return;
        _ = RefreshAsync(accountId);
    }

    private async Task RefreshAsync(string accountId)
    {
        try
        {
            await ledger.RefreshAccountAsync(accountId);
        }
        finally
        {
            _refreshing.TryRemove(accountId, out _);
        }
    }

    private void OnRestored()
    {
        keys.InvalidateAll();
        providerKeys.InvalidateAll();
    }

    public override void Dispose()
    {
        redis.Restored -= OnRestored;
        base.Dispose();
    }
}
