using ARouter.Auth;
using ARouter.Dialects.Canonical;
using Microsoft.AspNetCore.Http;

namespace ARouter.Routing;

/// <summary>Gives a route the provider key it will use, or refuses it when neither the operator nor the caller has one.</summary>
public sealed class ProviderAccess(ProviderCredentials credentials)
{
    public async ValueTask<(RouteTarget? Target, GatewayError? Error)> AuthorizeAsync(HttpRequest request, string accountId, RouteTarget target, CancellationToken ct)
    {
        var credential = await credentials.ResolveAsync(request, accountId, target.Endpoint, ct);
        if (credential is null)
            return (null, GatewayError.Forbidden(
                $"Provider '{target.Provider.Slug}' has no API key on this gateway. Bring your own with the '{ProviderCredentials.Header}' header " +
                $"or store one with PUT /api/v1/provider-keys/{target.Provider.Slug}."));
        return (target with { Credential = credential }, null);
    }
}
