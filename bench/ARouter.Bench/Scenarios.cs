namespace ARouter.Bench;

/// <summary>One thing a user does through the gateway, and the same request sent straight to the upstream.</summary>
public sealed record Scenario(string Name, string GatewayPath, string GatewayModel, bool Stream)
{
    public const string UpstreamPath = "/v1/chat/completions";
    public const string UpstreamModel = "gpt-5.4-mini";

    public static readonly Scenario[] All =
    [
        new("chat", "/v1/chat/completions", "openai/gpt-5.4-mini", Stream: false),
        new("chat-stream", "/v1/chat/completions", "openai/gpt-5.4-mini", Stream: true),
        new("passthrough", "/openai/v1/chat/completions", UpstreamModel, Stream: false),
    ];

    public string GatewayBody => Body(GatewayModel);
    public string UpstreamBody => Body(UpstreamModel);

    private string Body(string model) =>
        $"{{\"model\":\"{model}\",\"max_tokens\":64,{(Stream ? "\"stream\":true," : "")}\"messages\":[{{\"role\":\"system\",\"content\":\"You are terse.\"}},{{\"role\":\"user\",\"content\":\"Say hello to the benchmark in one short sentence.\"}}]}}";
}

/// <summary>The issue's targets for this 2-core machine.</summary>
public static class Targets
{
    public const double CpuUsPerRequest = 100, CpuUsPerRequestStretch = 60;
    public const double ThroughputVsNginxAt64 = 0.35;
    public const double AddedP50Ms = 0.25, AddedP99Ms = 1.5, P99OverP50 = 4;
    public const double FirstEventAddedMs = 0.5;
    public const double IdleRssMb = 80, LoadRssMb = 200;
}
