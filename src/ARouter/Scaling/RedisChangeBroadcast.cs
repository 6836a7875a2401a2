using ARouter.Auth;

namespace ARouter.Scaling;

/// <summary>Publishes cache changes made here on the Redis channel every instance's <see cref="RedisChangeListener"/> hears.</summary>
public sealed class RedisChangeBroadcast(RedisConnection redis) : ICacheChangeBroadcast
{
    public const string Channel = "changes";

    // A key hash, never the key: the hash is what caches are keyed by, and it cannot be turned back into the key.
    public void KeyChanged(string keyHash) => Publish("k " + keyHash);

    public void ProviderKeyChanged(string accountId, string provider) => Publish($"p {accountId} {provider}");

    private void Publish(string message) => redis.Forget(db => db.PublishAsync(redis.Channel(Channel), message));
}
