using System.Text;

namespace ARouter.Dialects.Canonical;

public enum StreamEventKind { Text, Reasoning, ReasoningSignature, ToolCallStart, ToolCallArguments, Finish }

/// <summary>
/// One thing that happened in a stream, whatever dialect the provider spoke. A value, not an object: a decoder fills a
/// reused <see cref="StreamEvents"/> for each upstream event, and <see cref="Utf8"/> — the text, thinking, signature or
/// argument JSON, unescaped — points into the upstream event's bytes or the buffer's own, so it is only valid until
/// the decoder reads the next event (<see cref="Detached"/> keeps a copy).
/// </summary>
public readonly struct StreamEvent
{
    private StreamEvent(StreamEventKind kind, ReadOnlyMemory<byte> utf8, int index, FinishReason reason, string? id, string? name, string? signature)
    {
        Kind = kind;
        Utf8 = utf8;
        Index = index;
        Reason = reason;
        Id = id;
        Name = name;
        Signature = signature;
    }

    public StreamEventKind Kind { get; }
    /// <summary>Text, thinking, the thinking's signature, or a piece of a tool call's arguments: UTF-8, unescaped.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; }
    /// <summary>Which tool call a start or an argument piece belongs to.</summary>
    public int Index { get; }
    public FinishReason Reason { get; }
    /// <summary>A tool call's id and name (<see cref="StreamEventKind.ToolCallStart"/>).</summary>
    public string? Id { get; }
    public string? Name { get; }
    /// <summary>Gemini's <c>thoughtSignature</c> on a tool call, when it had one.</summary>
    public string? Signature { get; }

    /// <summary><see cref="Utf8"/> as a string (allocates: for the rare events and for tests).</summary>
    public string Text => Encoding.UTF8.GetString(Utf8.Span);

    public static StreamEvent TextDelta(ReadOnlyMemory<byte> utf8) => new(StreamEventKind.Text, utf8, 0, default, null, null, null);
    public static StreamEvent ReasoningDelta(ReadOnlyMemory<byte> utf8) => new(StreamEventKind.Reasoning, utf8, 0, default, null, null, null);
    /// <summary>Anthropic's <c>signature_delta</c>: the signature that closes the thinking streamed so far.</summary>
    public static StreamEvent ReasoningSignatureDelta(ReadOnlyMemory<byte> utf8) => new(StreamEventKind.ReasoningSignature, utf8, 0, default, null, null, null);
    /// <summary>A tool call begins; <paramref name="index"/> tells later argument pieces which call they extend.</summary>
    public static StreamEvent ToolCallStart(int index, string id, string name, string? signature = null) => new(StreamEventKind.ToolCallStart, default, index, default, id, name, signature);
    public static StreamEvent ToolCallArguments(int index, ReadOnlyMemory<byte> utf8) => new(StreamEventKind.ToolCallArguments, utf8, index, default, null, null, null);
    public static StreamEvent Finish(FinishReason reason) => new(StreamEventKind.Finish, default, 0, reason, null, null, null);

    /// <summary>The same event with its own copy of <see cref="Utf8"/>, to keep past the next upstream event.</summary>
    public StreamEvent Detached() => new(Kind, Utf8.ToArray(), Index, Reason, Id, Name, Signature);

    /// <summary>Thinking, which a caller that excluded reasoning does not see.</summary>
    public bool IsReasoning => Kind is StreamEventKind.Reasoning or StreamEventKind.ReasoningSignature;
}
