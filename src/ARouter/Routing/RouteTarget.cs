using ARouter.Catalog;

namespace ARouter.Routing;

/// <summary>A concrete place to send a request: a catalog model at a provider this process can reach.</summary>
public sealed record RouteTarget(ModelRecord Model, ProviderEndpoint Endpoint)
{
    public ProviderRecord Provider => Endpoint.Provider;
}
