using ARouter.Auth;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;
using ARouter.Endpoints;
using ARouter.Observability;
using ARouter.Pipeline;
using ARouter.Routing;
using ARouter.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace ARouter.Passthrough;

/// <summary>
/// <c>/{provider}/{path}</c>: checks the path, picks the key (the caller's own via <c>X-Provider-Key</c>, else
/// the operator's), reserves the worst case, forwards with YARP and streams the answer back untouched while
/// a <see cref="UsageTap"/> reads its usage. The charge is settled exactly once, in a finally.
/// </summary>
public sealed class PassthroughEndpoint(
    ProviderDirectory providers,
    ProviderCredentials credentials,
    PassthroughPricing pricing,
    CreditCheck credits,
    Ledger ledger,
    TokenEstimator tokens,
    IHttpForwarder forwarder,
    PassthroughInvoker invoker,
    IOptions<PassthroughOptions> options,
    TimeProvider clock,
    ILogger<PassthroughEndpoint> logger)
{
    public const string EndpointName = "passthrough";

    public async Task<GatewayError?> HandleAsync(GatewayRequest request)
    {
        var http = request.Http;
        var slug = (string)http.Request.RouteValues["provider"]!;
        if (providers.Find(slug) is not { } endpoint) return UnknownProvider(slug, providers.All.Select(p => p.Provider.Slug));

        var (rawPath, rawQuery) = PassthroughPath.RawTarget(http);
        if (PassthroughPath.FindEscape(rawPath) is { } escape) return GatewayError.BadRequest($"Refused provider path: {escape}.");
        var remainder = PassthroughPath.Remainder(rawPath);
        var destination = PassthroughPath.Destination(endpoint, remainder, PassthroughPath.QueryWithoutKey(rawQuery));
        if (destination is null) return GatewayError.BadRequest("Refused provider path: it does not stay under the provider's base URL.");

        // The caller's X-Provider-Key, else a key the account stored for this provider, else the operator's.
        // (The key's rate limit was already applied by GatewayEndpoint.Keyed, with its X-RateLimit-* headers.)
        if (await credentials.ResolveAsync(http.Request, request.Caller.AccountId, endpoint, request.Aborted) is not { } credential)
            return GatewayError.Forbidden($"Provider '{endpoint.Provider.Slug}' has no operator key on this gateway; send your own in the '{ProviderKeyTransform.ByokHeader}' header or store one with PUT /api/v1/provider-keys/{endpoint.Provider.Slug}.");
        var byok = credential.Byok;
        var providerKey = credential.Key;

        var facts = await PassthroughRequestBody.InspectAsync(http, remainder, tokens, request.Options);
        var generationId = Ids.NewGenerationId();
        var (reservation, refusal) = await ReserveAsync(request, endpoint, generationId, facts, byok);
        if (reservation is null) return refusal;

        var tap = new UsageTap(endpoint.Provider.Dialect, http.Response, options.Value);
        var settlement = new PassthroughSettlement(request, endpoint.Provider.Slug, generationId, facts, byok, pricing, tokens, clock);
        var originalBody = http.Response.Body;
        var forwarded = ForwarderError.None;
        try
        {
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            http.Response.Body = new TappedResponseBody(originalBody, tap);
            var transform = new ProviderKeyTransform(destination, endpoint.Provider.Auth, providerKey, request.RequestId, generationId);
            forwarded = await forwarder.SendAsync(http, endpoint.BaseUrl, invoker.Invoker, invoker.RequestConfig, transform, request.Aborted);
        }
        finally
        {
            http.Response.Body = originalBody;
            tap.Complete();
            await settlement.SettleAsync(reservation, tap, forwarded);
        }

        if (forwarded == ForwarderError.None || http.Response.HasStarted || request.Aborted.IsCancellationRequested) return null;
        var timedOut = forwarded == ForwarderError.RequestTimedOut;
        Log.UpstreamFailed(logger, request.RequestId, endpoint.Provider.Slug, forwarded.ToString(), timedOut ? 504 : 502);
        return timedOut
            ? new GatewayError(ErrorStage.UpstreamTimeout, 504, $"Provider '{endpoint.Provider.Slug}' did not answer in time.")
            : new GatewayError(ErrorStage.UpstreamConnect, 502, $"Could not reach provider '{endpoint.Provider.Slug}' ({forwarded}).");
    }

    public static GatewayError UnknownProvider(string slug, IEnumerable<string> known)
        => GatewayError.NotFound($"Unknown provider '{slug}'. Passthrough works for: {string.Join(", ", known.Order(StringComparer.Ordinal))}.");

    /// <summary>
    /// BYOK holds nothing (the provider bills the caller) but still opens a zero reservation so the generation
    /// is recorded through the ledger. A named model is sized like any completion; otherwise a flat amount.
    /// </summary>
    private async Task<(Reservation? Reservation, GatewayError? Error)> ReserveAsync(GatewayRequest request, ProviderEndpoint endpoint, string generationId, PassthroughRequestFacts facts, bool byok)
    {
        var slug = endpoint.Provider.Slug;
        if (!byok && facts.Model is { } model)
        {
            var priced = pricing.PriceFor(slug, model);
            return await credits.ReserveAsync(request, new RouteTarget(priced, endpoint), generationId, facts.Prompt.AtMost(priced.ContextLength), facts.MaxOutputTokens);
        }

        var amount = byok ? 0 : Money.ToNanos(options.Value.ReservationUsdFor(slug));
        var outcome = await ledger.ReserveAsync(request.Caller.AccountId, request.Caller.KeyId, generationId, amount, request.Aborted);
        return outcome.Status switch
        {
            ReserveStatus.Reserved => (request.Telemetry.Track(outcome.Reservation!, slug, slug + "/unknown"), null),
            ReserveStatus.UnknownAccount => (null, GatewayError.Unauthorized("The API key's account no longer exists.")),
            ReserveStatus.Unavailable => (null, CreditCheck.Unavailable),
            _ => (null, GatewayError.PaymentRequired(
                $"Insufficient credits: a passthrough request to '{slug}' holds ${Money.Format(Money.FromNanos(amount))} until its usage is known, " +
                $"but the account has ${Money.Format(Money.FromNanos(outcome.AvailableNanos))} available. Add credits.")),
        };
    }
}
