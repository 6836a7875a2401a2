using ARouter.Auth;
using ARouter.Catalog;

namespace ARouter.Routing;

/// <summary>A concrete place to send a request: a catalog model at a provider, and the key to send it with.</summary>
public sealed record RouteTarget(ModelRecord Model, ProviderEndpoint Endpoint, ProviderCredential? Credential = null)
{
    public ProviderRecord Provider => Endpoint.Provider;
    public bool Byok => Credential?.Byok == true;
}
