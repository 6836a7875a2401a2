using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;
using ARouter.Endpoints;
using ARouter.Routing;

namespace ARouter.Pipeline;

/// <summary>Sizes the worst case of a request and holds that much credit before anything goes upstream.</summary>
public sealed class CreditCheck(Ledger ledger)
{
    /// <summary>Output allowance when neither the caller nor the catalog gives one.</summary>
    private const int DefaultMaxOutput = 4_096;

    public async Task<(Reservation? Reservation, GatewayError? Error)> ReserveAsync(GatewayRequest request, RouteTarget target, string generationId, int promptTokens, int? requestedMaxTokens)
    {
        var model = target.Model;
        var modelMax = model.MaxOutputTokens ?? Math.Max(DefaultMaxOutput, model.ContextLength / 4);
        // Prompt and output share the context window, so the output can never exceed what the prompt leaves.
        var maxOutput = Math.Min(Math.Min(requestedMaxTokens ?? modelMax, modelMax), Math.Max(1, model.ContextLength - promptTokens));
        var worstCase = CostCalculator.WorstCaseNanos(model.Price, TokenEstimator.WithMargin(promptTokens), maxOutput);
        // With the caller's own provider key the provider bills them; only the BYOK fee is held.
        if (target.Byok) worstCase = GenerationFacts.ByokFee(worstCase, request.Options.ByokFeePercent);

        var key = request.Caller.Key;
        KeyLimit? keyLimit = key.LimitNanos is { } limit ? new KeyLimit(limit, key.UsageNanos) : null;
        var outcome = await ledger.ReserveAsync(request.Caller.AccountId, request.Caller.KeyId, generationId, worstCase, request.Aborted, keyLimit);
        return outcome.Status switch
        {
            ReserveStatus.Reserved => (request.Telemetry.Track(outcome.Reservation!, target.Provider.Slug, model.Id), null),
            ReserveStatus.KeyLimitReached => (null, GatewayError.PaymentRequired(
                $"This API key's spend limit is reached: the key may spend ${Money.Format(Money.FromNanos(keyLimit!.Value.LimitNanos))} in all and has " +
                $"${Money.Format(Money.FromNanos(outcome.AvailableNanos))} of it left, but this request to {model.Id} may cost up to ${Money.Format(Money.FromNanos(worstCase))}. " +
                "The account's balance is not the problem: raise the key's limit (PATCH /api/v1/keys/{id}), lower max_tokens, or use another key.")),
            ReserveStatus.UnknownAccount => (null, GatewayError.Unauthorized("The API key's account no longer exists.")),
            ReserveStatus.Unavailable => (null, Unavailable),
            _ => (null, GatewayError.PaymentRequired(
                $"Insufficient credits: this request to {model.Id} may cost up to ${Money.Format(Money.FromNanos(worstCase))} " +
                $"(~{promptTokens} prompt tokens + up to {maxOutput} output tokens) but the account has ${Money.Format(Money.FromNanos(outcome.AvailableNanos))} available" +
                AffordableOutput(model.Price, promptTokens, outcome.AvailableNanos) + ". Add credits or lower max_tokens.")),
        };
    }

    /// <summary>The shared reservation book (Redis) cannot be reached: refused before anything is sent or charged.</summary>
    public static readonly GatewayError Unavailable = new(ErrorStage.Reserve, 503,
        "Credit reservations are temporarily unavailable (the gateway cannot reach its shared reservation store); nothing was sent or charged. Retry shortly.")
    {
        RetryAfterSeconds = 1,
    };

    /// <summary>Like OpenRouter, tells the caller which <c>max_tokens</c> the balance would cover.</summary>
    private static string AffordableOutput(PricePerMillion price, int promptTokens, long availableNanos)
    {
        var left = availableNanos - CostCalculator.WorstCaseNanos(price, TokenEstimator.WithMargin(promptTokens), 0);
        var perToken = CostCalculator.WorstCaseNanos(price, 0, 1_000_000) / 1_000_000m;
        if (left <= 0 || perToken <= 0) return "";
        return $", enough for max_tokens up to {(long)(left / perToken)}";
    }
}
