namespace ARouter;

/// <summary>Gateway-wide settings, bound from the <c>ARouter</c> section (<c>AROUTER__...</c> in the environment).</summary>
public sealed record GatewayOptions
{
    /// <summary>Largest request body accepted; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 32 * 1024 * 1024;
    /// <summary>JSON nesting limit for request bodies; deeper is a 400.</summary>
    public int MaxJsonDepth { get; set; } = 64;
    /// <summary>Most messages (or Gemini contents) in one chat request; more is a 400.</summary>
    public int MaxMessages { get; set; } = 5_000;
    /// <summary>Most tool definitions in one chat request (OpenAI allows 128).</summary>
    public int MaxTools { get; set; } = 512;
    /// <summary>Most fallback candidates in <c>models</c>.</summary>
    public int MaxModels { get; set; } = 32;
    /// <summary>Most inputs in one embeddings request (OpenAI allows 2048).</summary>
    public int MaxEmbeddingInputs { get; set; } = 2_048;
    /// <summary>Longest model name accepted; model names are echoed in errors and records, so they are kept short.</summary>
    public int MaxModelNameLength { get; set; } = 256;
    /// <summary>What a request sent with the caller's own provider key (BYOK) costs, as a percentage of its catalog price.</summary>
    public decimal ByokFeePercent { get; set; }
    /// <summary>Kestrel: all request headers together (431 past it).</summary>
    public int MaxRequestHeadersTotalBytes { get; set; } = 32 * 1024;
    /// <summary>Kestrel: how many request headers (431 past it).</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;
    /// <summary>Kestrel: the request line, query string included (414 past it).</summary>
    public int MaxRequestLineBytes { get; set; } = 16 * 1024;
    /// <summary>Kestrel: a client must send all its headers within this time (slow-loris), else the connection is closed.</summary>
    public double RequestHeadersTimeoutSeconds { get; set; } = 15;
    /// <summary>Kestrel: a request body slower than this (bytes per second, after the grace period) is cut.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;
    public double MinRequestBodyGraceSeconds { get; set; } = 5;
    /// <summary>Kestrel: an idle keep-alive connection is closed after this long.</summary>
    public double KeepAliveTimeoutSeconds { get; set; } = 120;
}
