namespace ARouter.Tests.FakeUpstream;

/// <summary>What a fake provider does with the next requests it receives; tests swap scripts per provider.</summary>
public sealed record FakeScript
{
    public static readonly FakeScript Default = new();

    public string Reply { get; init; } = "Hello from the fake provider.";
    public int PromptTokens { get; init; } = 12;
    public int CompletionTokens { get; init; } = 7;
    public int CachedTokens { get; init; }
    public int ReasoningTokens { get; init; }

    /// <summary>How many content chunks a stream splits <see cref="Reply"/> into.</summary>
    public int Chunks { get; init; } = 5;

    /// <summary>When set, the provider answers with this status and its own error body carrying <see cref="FailMessage"/>.</summary>
    public int? FailStatus { get; init; }
    public string FailMessage { get; init; } = "The fake provider failed on purpose.";
    /// <summary>The Retry-After (seconds) an OpenAI-wire provider sends with a 429.</summary>
    public int RetryAfterSeconds { get; init; } = 7;
    /// <summary>When set, only this many requests after the script was given fail with <see cref="FailStatus"/>; later ones succeed.</summary>
    public int? FailFirst { get; init; }

    /// <summary>Time before the response headers are sent.</summary>
    public TimeSpan Delay { get; init; }
    public TimeSpan ChunkDelay { get; init; }
    /// <summary>OpenAI wire: time between <c>data: [DONE]</c> and the end of the body (the chunked encoding's last chunk), as a server behind a proxy may leave.</summary>
    public TimeSpan BodyEndDelay { get; init; }

    /// <summary>After this many stream chunks (0: right after the headers) the provider goes silent for <see cref="Stall"/>, then goes on.</summary>
    public int? StallAfterChunks { get; init; }
    public TimeSpan Stall { get; init; }

    /// <summary>The connection is torn down (no terminator, no usage) after this many content chunks (0: right after the headers).</summary>
    public int? CutAfterChunks { get; init; }

    /// <summary>An in-stream error event, in the provider's shape, replaces the rest of the stream after this many chunks (0: as the first event).</summary>
    public int? ErrorEventAfterChunks { get; init; }

    /// <summary>The provider reports no usage at all, as some self-hosted backends do.</summary>
    public bool OmitUsage { get; init; }

    /// <summary>MiniMax only: HTTP 200 whose <c>base_resp</c> carries this non-zero status code, as MiniMax reports some failures.</summary>
    public int? BaseRespErrorCode { get; init; }

    /// <summary>When above zero, a chat completion whose reply text is this many bytes, written in 64 KiB pieces, usage at the end.</summary>
    public long LargeBodyBytes { get; init; }

    /// <summary>Answer with a function call instead of text.</summary>
    public FakeToolCall? ToolCall { get; init; }

    /// <summary>Answer with several function calls in one turn (parallel tool calls); streamed with interleaved argument deltas where the wire allows.</summary>
    public IReadOnlyList<FakeToolCall>? ToolCalls { get; init; }

    /// <summary>Thinking sent before the reply, in the provider's own shape (reasoning_content, thinking blocks, thought parts).</summary>
    public string? Reasoning { get; init; }

    /// <summary>Anthropic only: the signature closing the thinking block.</summary>
    public string ReasoningSignature { get; init; } = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds";

    /// <summary>
    /// OpenAI-wire providers only: the stream's body verbatim, in pieces each written and flushed alone (a piece may end
    /// anywhere, inside an event, an escape or a character), for wire-level cases the other knobs cannot produce; for a
    /// request that is not streamed, the completion's (or the embeddings') body verbatim (status 200).
    /// </summary>
    public IReadOnlyList<byte[]>? WirePieces { get; init; }

    /// <summary>The pause between two <see cref="WirePieces"/> of a stream: long enough that the gateway reads them apart.</summary>
    public TimeSpan WirePieceDelay { get; init; } = TimeSpan.FromMilliseconds(15);

    /// <summary>Every function call this script answers with.</summary>
    public IReadOnlyList<FakeToolCall> Calls => ToolCalls ?? (ToolCall is { } call ? [call] : []);
}

public sealed record FakeToolCall(string Name, string ArgumentsJson);
