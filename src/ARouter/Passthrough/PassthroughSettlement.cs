using ARouter.Billing;
using ARouter.Endpoints;
using ARouter.Storage;
using Yarp.ReverseProxy.Forwarder;

namespace ARouter.Passthrough;

/// <summary>
/// Ends one passthrough reservation from what the tap saw. Usage at the price of the model named in the
/// request (else the response; unknown models at the provider's ceiling) is charged; a response without
/// usage, an upstream error and a BYOK call cost nothing but are recorded. A stream that ends without
/// usage (a client that left, an OpenAI stream without <c>include_usage</c>) is charged for the tokens the
/// gateway counts itself: the prompt estimate plus the streamed text.
/// </summary>
public sealed class PassthroughSettlement(GatewayRequest request, string slug, string generationId, PassthroughRequestFacts facts, bool byok, PassthroughPricing pricing, TokenEstimator tokens, TimeProvider clock)
{
    public async Task SettleAsync(Reservation reservation, UsageTap tap, ForwarderError forwarded)
    {
        var response = request.Http.Response;
        var status = request.Aborted.IsCancellationRequested ? 499 : response.StatusCode;
        var modelName = facts.Model ?? tap.Model;
        var usage = tap.Usage;
        var counted = false;
        if (usage is null && tap.IsEventStream && (tap.GeneratedText.Length > 0 || tap.UncountedChars > 0))
        {
            // o200k averages about four characters per token; only text past the kept cap is estimated that way.
            usage = new TokenUsage(facts.Prompt.Exact, tokens.Count(tap.GeneratedText) + (int)Math.Min(int.MaxValue / 2, (tap.UncountedChars + 3) / 4));
            counted = true;
        }
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
            UsageCounted = counted,
            LatencyMs = (long)clock.GetElapsedTime(request.StartTimestamp).TotalMilliseconds,
            Byok = byok,
            CreatedAt = DateTimeOffset.UtcNow,
        };

        if (billable) await reservation.SettleAsync(CostCalculator.CostNanos(priced!.Price, usage!), record);
        else reservation.Release(record);
    }
}
