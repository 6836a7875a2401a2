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

    /// <summary>
    /// Holds the worst case sized by the prompt's cheap upper bound when that much credit is there, so a caller with
    /// credit to spare never waits for an exact count. Only when that hold does not fit is the prompt counted and the
    /// exact worst case held (or refused, with the counted figures), exactly as if the bound had not been tried.
    /// </summary>
    public async Task<(Reservation? Reservation, GatewayError? Error)> ReserveAsync(GatewayRequest request, RouteTarget target, string generationId, PromptSize prompt, int? requestedMaxTokens)
    {
        var model = target.Model;
        var modelMax = model.MaxOutputTokens ?? Math.Max(DefaultMaxOutput, model.ContextLength / 4);
        var allowance = Math.Min(requestedMaxTokens ?? modelMax, modelMax);
        var key = request.Caller.Key;
        KeyLimit? keyLimit = key.LimitNanos is { } limit ? new KeyLimit(limit, key.UsageNanos) : null;

        ReserveOutcome? refused = null;
        if (!prompt.IsCounted)
        {
            // The output allowance is left uncapped here: capping it by the context the bound leaves would shrink the
            // output term as the prompt grows, and the hold could come out below the exact one.
            var generous = WorstCase(request, target, prompt.Bound, allowance);
            var first = await ledger.ReserveAsync(request.Caller.AccountId, request.Caller.KeyId, generationId, generous, request.Aborted, keyLimit);
            if (first.Status is not (ReserveStatus.InsufficientCredits or ReserveStatus.KeyLimitReached)) return Outcome(request, target, first, keyLimit, prompt, 0, 0);
            refused = first;
        }
        var (worstCase, maxOutput) = Exact(request, target, prompt, allowance);
        // When the exact hold cannot fit what the bound's refusal found left either, that refusal is the answer (one trip to the ledger, not two).
        var outcome = refused is { } known && worstCase > known.AvailableNanos
            ? known
            : await ledger.ReserveAsync(request.Caller.AccountId, request.Caller.KeyId, generationId, worstCase, request.Aborted, keyLimit);
        return Outcome(request, target, outcome, keyLimit, prompt, worstCase, maxOutput);
    }

    /// <summary>The hold by the counted prompt: with margin, and the output the context leaves after it.</summary>
    private static (long WorstCase, int MaxOutput) Exact(GatewayRequest request, RouteTarget target, PromptSize prompt, int allowance)
    {
        // Prompt and output share the context window, so the output can never exceed what the prompt leaves.
        var maxOutput = Math.Min(allowance, Math.Max(1, target.Model.ContextLength - prompt.Exact));
        return (WorstCase(request, target, prompt.Exact, maxOutput), maxOutput);
    }

    private static long WorstCase(GatewayRequest request, RouteTarget target, int promptTokens, int maxOutput)
    {
        var worstCase = CostCalculator.WorstCaseNanos(target.Model.Price, TokenEstimator.WithMargin(promptTokens), maxOutput);
        // With the caller's own provider key the provider bills them; only the BYOK fee is held.
        return target.Byok ? GenerationFacts.ByokFee(worstCase, request.Options.ByokFeePercent) : worstCase;
    }

    /// <param name="worstCase">The exact hold and its output allowance, for a refusal's message (unused when reserved).</param>
    private static (Reservation?, GatewayError?) Outcome(GatewayRequest request, RouteTarget target, ReserveOutcome outcome, KeyLimit? keyLimit, PromptSize prompt, long worstCase, int maxOutput)
    {
        var model = target.Model;
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
                $"(~{prompt.Exact} prompt tokens + up to {maxOutput} output tokens) but the account has ${Money.Format(Money.FromNanos(outcome.AvailableNanos))} available" +
                AffordableOutput(model.Price, prompt.Exact, outcome.AvailableNanos) + ". Add credits or lower max_tokens.")),
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
