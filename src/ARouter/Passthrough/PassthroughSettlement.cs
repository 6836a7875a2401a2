using ARouter.Billing;
using ARouter.Endpoints;
using ARouter.Observability;
using ARouter.Storage;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace ARouter.Passthrough;

/// <summary>
/// Ends one passthrough reservation from what the tap saw. Usage at the price of the model named in the
/// request (else the response; unknown models at the provider's ceiling) is charged; a response without
/// usage, an upstream error and a BYOK call cost nothing but are recorded. A client that left is charged
/// for the usage seen before it left.
/// </summary>
public sealed class PassthroughSettlement(GatewayRequest request, string slug, string generationId, string? requestModel, bool byok, PassthroughPricing pricing, TimeProvider clock)
{
    public async Task SettleAsync(Reservation reservation, UsageTap tap, ForwarderError forwarded, ILogger logger)
    {
        var response = request.Http.Response;
        var status = request.Aborted.IsCancellationRequested ? 499 : response.StatusCode;
        var modelName = requestModel ?? tap.Model;
        var usage = tap.Usage;
        var priced = usage is null && modelName is not null ? pricing.Find(slug, modelName) : pricing.PriceFor(slug, modelName);
        var failed = response.StatusCode >= 400 || (forwarded != ForwarderError.None && !response.HasStarted);
        var billable = usage is not null && !failed && !byok;

        var record = new GenerationRecord
        {
            Id = generationId,
            AccountId = request.Caller.AccountId,
            KeyId = request.Caller.KeyId,
            Model = priced?.Id ?? (modelName is null ? slug : slug + "/" + modelName),
            Provider = slug,
            UpstreamModel = modelName ?? "",
            Endpoint = PassthroughEndpoint.EndpointName,
            Streamed = tap.IsEventStream,
            Status = status,
            ErrorType = failed ? (forwarded != ForwarderError.None ? forwarded.ToString() : "UpstreamStatus") : null,
            PromptTokens = usage?.PromptTokens ?? 0,
            CompletionTokens = usage?.CompletionTokens ?? 0,
            CachedTokens = usage?.CachedPromptTokens ?? 0,
            ReasoningTokens = usage?.ReasoningTokens ?? 0,
            LatencyMs = (long)clock.GetElapsedTime(request.StartTimestamp).TotalMilliseconds,
            Byok = byok,
            CreatedAt = DateTimeOffset.UtcNow,
        };

        long charged = 0;
        if (billable) charged = await reservation.SettleAsync(CostCalculator.CostNanos(priced!.Price, usage!), record);
        else reservation.Release(record);
        Log.RequestCompleted(logger, request.RequestId, PassthroughEndpoint.EndpointName, request.Caller.Key.Prefix, record.Model, slug, status,
            record.LatencyMs, record.PromptTokens, record.CompletionTokens, charged);
    }
}
