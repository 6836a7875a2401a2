using ARouter.Catalog;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace ARouter.Passthrough;

/// <summary>
/// Swaps the caller's ARouter key for the provider's, the provider's way, and points the request at the
/// destination the gateway chose. YARP's default transform already drops hop-by-hop headers and Host.
/// </summary>
public sealed class ProviderKeyTransform(Uri destination, AuthStyle auth, string providerKey, string requestId, string generationId) : HttpTransformer
{
    public const string ByokHeader = "X-Provider-Key";
    public const string AnthropicVersion = "2023-06-01";

    /// <summary>Everywhere a caller's key can sit, plus headers meant for ARouter only.</summary>
    private static readonly string[] CallerOnlyHeaders = ["Authorization", "X-Api-Key", "x-goog-api-key", ByokHeader, "Proxy-Authorization", "Cookie"];

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.RequestUri = destination;
        foreach (var name in CallerOnlyHeaders) proxyRequest.Headers.Remove(name);
        List<string>? gatewayOnly = null;
        foreach (var header in proxyRequest.Headers.NonValidated)
            if (header.Key.StartsWith("X-ARouter-", StringComparison.OrdinalIgnoreCase)) (gatewayOnly ??= []).Add(header.Key);
        foreach (var name in gatewayOnly ?? []) proxyRequest.Headers.Remove(name);
        // The tap must read usage out of the body, so ask for it uncompressed.
        proxyRequest.Headers.Remove("Accept-Encoding");

        switch (auth)
        {
            case AuthStyle.XApiKey:
                proxyRequest.Headers.TryAddWithoutValidation("x-api-key", providerKey);
                // A caller's own anthropic-version (and anthropic-beta) were copied above and win.
                if (!proxyRequest.Headers.Contains("anthropic-version")) proxyRequest.Headers.TryAddWithoutValidation("anthropic-version", AnthropicVersion);
                break;
            case AuthStyle.XGoogApiKey:
                proxyRequest.Headers.TryAddWithoutValidation("x-goog-api-key", providerKey);
                break;
            default:
                proxyRequest.Headers.TryAddWithoutValidation("Authorization", "Bearer " + providerKey);
                break;
        }
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        var headers = httpContext.Response.Headers;
        headers.Remove("X-Request-Id");
        var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        // The provider's own request id stays available; X-Request-Id is always the gateway's.
        if (headers.TryGetValue("X-Request-Id", out var upstreamId)) headers["X-Upstream-Request-Id"] = upstreamId;
        headers["X-Request-Id"] = requestId;
        // The body is the provider's, so the generation id (for /api/v1/generations/{id}) travels as a header.
        headers["X-Generation-Id"] = generationId;
        return proceed;
    }
}
