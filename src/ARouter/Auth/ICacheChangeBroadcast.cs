namespace ARouter.Auth;

/// <summary>
/// Tells the other instances that a cached record changed here, so they drop their copy at once instead of
/// waiting for the <see cref="KeyCacheRefresher"/>'s next poll. Without Redis there is none: polling alone.
/// </summary>
public interface ICacheChangeBroadcast
{
    void KeyChanged(string keyHash);

    void ProviderKeyChanged(string accountId, string provider);
}
