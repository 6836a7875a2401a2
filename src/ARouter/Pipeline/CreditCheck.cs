using ARouter.Billing;
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
        var maxOutput = Math.Min(requestedMaxTokens ?? modelMax, modelMax);
        var worstCase = CostCalculator.WorstCaseNanos(model.Price, TokenEstimator.WithMargin(promptTokens), maxOutput);

        var outcome = await ledger.ReserveAsync(request.Caller.AccountId, request.Caller.KeyId, generationId, worstCase, request.Aborted);
        return outcome.Status switch
        {
            ReserveStatus.Reserved => (outcome.Reservation, null),
            ReserveStatus.UnknownAccount => (null, GatewayError.Unauthorized("The API key's account no longer exists.")),
            _ => (null, GatewayError.PaymentRequired(
                $"Insufficient credits: this request to {model.Id} may cost up to ${Money.Format(Money.FromNanos(worstCase))} " +
                $"(~{promptTokens} prompt tokens + up to {maxOutput} output tokens) but the account has ${Money.Format(Money.FromNanos(outcome.AvailableNanos))} available. " +
                "Add credits or lower max_tokens.")),
        };
    }
}
