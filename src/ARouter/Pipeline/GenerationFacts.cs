using ARouter.Billing;
using ARouter.Endpoints;
using ARouter.Routing;
using ARouter.Storage;

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
    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public void MarkFirstByte() => FirstByteMs ??= (long)clock.GetElapsedTime(request.StartTimestamp).TotalMilliseconds;

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
        CreatedAt = DateTimeOffset.UtcNow,
    };
}
