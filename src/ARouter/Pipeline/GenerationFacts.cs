using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Endpoints;
using ARouter.Observability;
using ARouter.Routing;
using ARouter.Storage;
using Microsoft.Extensions.Logging;

namespace ARouter.Pipeline;

/// <summary>What the gateway learns about one generation as it runs; becomes its metadata record.</summary>
public sealed class GenerationFacts(GatewayRequest request, RouteTarget target, string generationId, string endpoint, bool streamed, TimeProvider clock)
{
    public string GenerationId { get; } = generationId;
    public RouteTarget Target { get; } = target;
    public int Status { get; set; } = 200;
    public string? FinishReason { get; set; }
    public string? ErrorType { get; set; }
    public TokenUsage Usage { get; set; } = TokenUsage.Zero;
    public bool UsageCounted { get; set; }
    public long ChargedNanos { get; set; }
    public long? FirstByteMs { get; private set; }
    /// <summary>When the first byte of the answer arrived (<see cref="TimeProvider.GetTimestamp"/>), for the provider's observed latency.</summary>
    public long? FirstByteTimestamp { get; private set; }
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    /// <summary>Candidates that failed before this one, for the generation record.</summary>
    public AttemptLog? Attempts { get; init; }
    /// <summary>The caller asked to think without seeing the thoughts (OpenRouter's <c>reasoning.exclude</c>).</summary>
    public bool ExcludeReasoning { get; init; }

    /// <summary>Ends the reservation without a charge because the call failed, records why, and passes the error on.</summary>
    public GatewayError Fail(ILogger logger, Reservation reservation, GatewayError error)
    {
        Status = error.Status;
        ErrorType = error.Stage.ToString();
        reservation.Release(ToRecord());
        Log.UpstreamFailed(logger, request.RequestId, Target.Provider.Slug, error.Stage.ToString(), error.Status);
        return error;
    }

    /// <summary>For a <c>finally</c>: a reservation nothing settled (an exception, a client gone before the first byte) costs nothing.</summary>
    public void ReleaseIfOpen(Reservation reservation)
    {
        if (reservation.IsEnded) return;
        Status = request.Aborted.IsCancellationRequested ? 499 : 500;
        reservation.Release(ToRecord());
    }

    /// <summary>What the caller pays for this usage: the catalog price, or only the BYOK fee when the provider bills the caller.</summary>
    public long CostOf(TokenUsage usage)
    {
        var cost = CostCalculator.CostNanos(Target.Model.Price, usage);
        return Target.Byok ? ByokFee(cost, request.Options.ByokFeePercent) : cost;
    }

    public static long ByokFee(long costNanos, decimal feePercent) => (long)decimal.Ceiling(costNanos * feePercent / 100m);

    public void MarkFirstByte()
    {
        if (FirstByteTimestamp is not null) return;
        FirstByteTimestamp = clock.GetTimestamp();
        FirstByteMs = (long)clock.GetElapsedTime(request.StartTimestamp, FirstByteTimestamp.Value).TotalMilliseconds;
    }

    public GenerationRecord ToRecord() => new()
    {
        Id = GenerationId,
        AccountId = request.Caller.AccountId,
        KeyId = request.Caller.KeyId,
        Model = Target.Model.Id,
        Provider = Target.Provider.Slug,
        UpstreamModel = Target.Model.UpstreamId,
        Endpoint = endpoint,
        Streamed = streamed,
        Status = Status,
        FinishReason = FinishReason,
        ErrorType = ErrorType,
        PromptTokens = Usage.PromptTokens,
        CompletionTokens = Usage.CompletionTokens,
        CachedTokens = Usage.CachedPromptTokens,
        ReasoningTokens = Usage.ReasoningTokens,
        UsageCounted = UsageCounted,
        LatencyMs = (long)clock.GetElapsedTime(request.StartTimestamp).TotalMilliseconds,
        FirstByteMs = FirstByteMs,
        Byok = Target.Byok,
        AttemptsJson = Attempts?.ToJson(),
        CreatedAt = DateTimeOffset.UtcNow,
    };
}
