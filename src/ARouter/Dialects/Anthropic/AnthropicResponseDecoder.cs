using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Anthropic;

/// <summary>Reads an Anthropic <c>message</c> into the canonical response, and its usage into the gateway's token counts.</summary>
public static class AnthropicResponseDecoder
{
    public static ChatResponse Decode(JsonElement message)
    {
        var text = new StringBuilder();
        var reasoning = new StringBuilder();
        var calls = new List<ToolCall>();
        string? signature = null;
        if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            foreach (var block in content.EnumerateArray())
            {
                if (block.ValueKind != JsonValueKind.Object) continue;
                switch (String(block, "type"))
                {
                    case "text": text.Append(String(block, "text")); break;
                    case "thinking":
                        reasoning.Append(String(block, "thinking"));
                        signature = String(block, "signature") ?? signature;
                        break;
                    case "tool_use":
                        calls.Add(new ToolCall(String(block, "id") ?? "", String(block, "name") ?? "", block.TryGetProperty("input", out var input) ? input.GetRawText() : "{}"));
                        break;
                }
            }
        }
        var usage = message.TryGetProperty("usage", out var u) ? ReadUsage(u, null) : null;
        return new ChatResponse(text.ToString(), reasoning.Length == 0 ? null : reasoning.ToString(), calls, MapStopReason(String(message, "stop_reason")), usage)
        {
            ReasoningSignature = signature is { Length: > 0 } ? signature : null,
        };
    }

    /// <summary>
    /// Anthropic's <c>input_tokens</c> excludes cache reads and writes; the gateway's prompt count includes them.
    /// In a stream, <c>message_delta</c> may carry only <c>output_tokens</c>: the rest comes from <paramref name="start"/>.
    /// </summary>
    public static TokenUsage? ReadUsage(JsonElement usage, TokenUsage? start)
    {
        if (usage.ValueKind != JsonValueKind.Object) return null;
        var input = Int(usage, "input_tokens");
        var cacheRead = Int(usage, "cache_read_input_tokens");
        var cacheWrite = Int(usage, "cache_creation_input_tokens");
        var output = Int(usage, "output_tokens");
        if (input is null && output is null) return null;
        var cached = cacheRead ?? start?.CachedPromptTokens ?? 0;
        var written = cacheWrite ?? start?.CacheWriteTokens ?? 0;
        var prompt = input is { } i ? i + cached + written : start?.PromptTokens ?? 0;
        return new TokenUsage(prompt, output ?? start?.CompletionTokens ?? 0, cached, 0, written);
    }

    public static FinishReason? MapStopReason(string? reason) => reason switch
    {
        null => null,
        "max_tokens" or "model_context_window_exceeded" => FinishReason.Length,
        "tool_use" => FinishReason.ToolCalls,
        "stop_sequence" => FinishReason.StopSequence,
        "refusal" => FinishReason.ContentFilter,
        _ => FinishReason.Stop,
    };

    internal static string? String(JsonElement obj, string name) => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement obj, string name) => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? Math.Max(0, n) : null;
}

/// <summary>
/// Reads Anthropic's stream events (one instance per stream): content blocks become canonical deltas, tool-use
/// blocks keep their index, usage comes from <c>message_start</c> and the last <c>message_delta</c>, and an
/// <c>error</c> event is reported as such. <c>ping</c> is ignored; <c>message_stop</c> ends the stream.
/// </summary>
public sealed class AnthropicStreamDecoder
{
    private readonly Dictionary<int, int> _toolIndexByBlock = [];

    public TokenUsage? Usage { get; private set; }
    public JsonElement? UsageJson { get; private set; }
    public bool Stopped { get; private set; }
    public string? Error { get; private set; }

    /// <summary>Reads one event into <paramref name="events"/> (already reset for it).</summary>
    public void Decode(JsonElement data, StreamEvents events)
    {
        switch (AnthropicResponseDecoder.String(data, "type"))
        {
            case "message_start" when data.TryGetProperty("message", out var message) && message.TryGetProperty("usage", out var startUsage):
                Usage = AnthropicResponseDecoder.ReadUsage(startUsage, null);
                break;
            case "content_block_start" when data.TryGetProperty("content_block", out var block):
                var index = data.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : 0;
                if (IsString(block, "type", "tool_use"u8))
                {
                    var toolIndex = _toolIndexByBlock.Count;
                    _toolIndexByBlock[index] = toolIndex;
                    events.Add(StreamEvent.ToolCallStart(toolIndex, AnthropicResponseDecoder.String(block, "id") ?? "", AnthropicResponseDecoder.String(block, "name") ?? ""));
                }
                else if (IsString(block, "type", "thinking"u8))
                {
                    if (NonEmptyString(block, "thinking") is { } thought) events.Add(StreamEvent.ReasoningDelta(events.Text(thought)));
                }
                else if (NonEmptyString(block, "text") is { } initial) events.Add(StreamEvent.TextDelta(events.Text(initial)));
                break;
            case "content_block_delta" when data.TryGetProperty("delta", out var delta):
                var blockIndex = data.TryGetProperty("index", out var bi) && bi.TryGetInt32(out var b) ? b : 0;
                if (!delta.TryGetProperty("type", out var deltaType) || deltaType.ValueKind != JsonValueKind.String) break;
                if (deltaType.ValueEquals("text_delta"u8)) events.Add(StreamEvent.TextDelta(TextOrEmpty(delta, "text", events)));
                else if (deltaType.ValueEquals("thinking_delta"u8)) events.Add(StreamEvent.ReasoningDelta(TextOrEmpty(delta, "thinking", events)));
                else if (deltaType.ValueEquals("signature_delta"u8))
                {
                    if (NonEmptyString(delta, "signature") is { } signature) events.Add(StreamEvent.ReasoningSignatureDelta(events.Text(signature)));
                }
                else if (deltaType.ValueEquals("input_json_delta"u8) && _toolIndexByBlock.TryGetValue(blockIndex, out var tool))
                    events.Add(StreamEvent.ToolCallArguments(tool, TextOrEmpty(delta, "partial_json", events)));
                break;
            case "message_delta":
                if (data.TryGetProperty("usage", out var deltaUsage))
                {
                    Usage = AnthropicResponseDecoder.ReadUsage(deltaUsage, Usage) ?? Usage;
                    UsageJson = deltaUsage.Clone();
                }
                if (data.TryGetProperty("delta", out var messageDelta) && AnthropicResponseDecoder.MapStopReason(AnthropicResponseDecoder.String(messageDelta, "stop_reason")) is { } finish)
                    events.Add(StreamEvent.Finish(finish));
                break;
            case "message_stop":
                Stopped = true;
                break;
            case "error":
                Error = data.TryGetProperty("error", out var error) ? AnthropicResponseDecoder.String(error, "message") ?? error.GetRawText() : "unknown error";
                break;
        }
    }

    private static bool IsString(JsonElement obj, string name, ReadOnlySpan<byte> value)
        => obj.TryGetProperty(name, out var element) && element.ValueKind == JsonValueKind.String && element.ValueEquals(value);

    private static JsonElement? NonEmptyString(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && !value.ValueEquals(""u8) ? value : null;

    private static ReadOnlyMemory<byte> TextOrEmpty(JsonElement obj, string name, StreamEvents events)
        => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? events.Text(value) : ReadOnlyMemory<byte>.Empty;
}
