using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.OpenAi;

/// <summary>Writes canonical responses and stream events as OpenAI chat completions and chunks, for callers of other dialects' providers.</summary>
public static class OpenAiCanonicalResponseEncoder
{
    public static void WriteCompletion(Utf8JsonWriter json, ChatResponse response, string generationId, string model, long created, TokenUsage usage, decimal cost)
    {
        OpenAiResponseEncoder.WriteStart(json, "chat.completion", generationId, model, created);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("message");
        json.WriteString("role", "assistant");
        if (response.Text.Length == 0 && response.ToolCalls.Count > 0) json.WriteNull("content"); else json.WriteString("content", response.Text);
        if (response.Reasoning is { } reasoning) WriteReasoning(json, reasoning);
        WriteReasoningDetails(json, response.Reasoning, response.ReasoningSignature, response.ToolCalls);
        if (response.ToolCalls.Count > 0) WriteToolCalls(json, response.ToolCalls);
        json.WriteEndObject();
        json.WriteString("finish_reason", FinishReasonOf(response.Finish));
        json.WriteEndObject();
        json.WriteEndArray();
        WriteUsage(json, usage, cost);
        json.WriteEndObject();
    }

    /// <summary>An assistant message's <c>tool_calls</c> array.</summary>
    public static void WriteToolCalls(Utf8JsonWriter json, IReadOnlyList<ToolCall> calls)
    {
        json.WriteStartArray("tool_calls");
        foreach (var call in calls)
        {
            json.WriteStartObject();
            json.WriteString("id", call.Id);
            json.WriteString("type", "function");
            json.WriteStartObject("function");
            json.WriteString("name", call.Name);
            json.WriteString("arguments", call.ArgumentsJson);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>OpenAI's usage shape (with cached and reasoning details) plus <c>cost</c>.</summary>
    public static void WriteUsage(Utf8JsonWriter json, TokenUsage usage, decimal cost)
    {
        json.WriteStartObject("usage");
        OpenAiUsage.WriteCounts(json, usage);
        json.WriteNumber("cost", cost);
        json.WriteEndObject();
    }

    /// <summary>One chunk for one canonical stream event.</summary>
    public static void WriteChunk(Utf8JsonWriter json, in StreamEvent streamEvent, string generationId, string model, long created, bool first)
    {
        OpenAiResponseEncoder.WriteStart(json, "chat.completion.chunk", generationId, model, created);
        json.WriteStartArray("choices");
        json.WriteStartObject();
        json.WriteNumber("index", 0);
        json.WriteStartObject("delta");
        if (first) json.WriteString("role", "assistant");
        switch (streamEvent.Kind)
        {
            case StreamEventKind.Text:
                json.WriteString("content", streamEvent.Utf8.Span);
                break;
            case StreamEventKind.Reasoning:
                json.WriteString("reasoning", streamEvent.Utf8.Span);
                json.WriteString("reasoning_content", streamEvent.Utf8.Span);
                break;
            case StreamEventKind.ReasoningSignature:
                WriteReasoningDetails(json, null, streamEvent.Text, []);
                break;
            case StreamEventKind.ToolCallStart:
                WriteToolCall(json, streamEvent.Index, streamEvent.Id, streamEvent.Name, default);
                if (streamEvent.Signature is not null) WriteReasoningDetails(json, null, null, [new ToolCall(streamEvent.Id!, streamEvent.Name!, "") { Signature = streamEvent.Signature }]);
                break;
            case StreamEventKind.ToolCallArguments:
                WriteToolCall(json, streamEvent.Index, null, null, streamEvent.Utf8.Span);
                break;
        }
        json.WriteEndObject();
        if (streamEvent.Kind == StreamEventKind.Finish) json.WriteString("finish_reason", FinishReasonOf(streamEvent.Reason)); else json.WriteNull("finish_reason");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>
    /// Thinking under both names clients read: <c>reasoning</c> (OpenRouter) and <c>reasoning_content</c> (DeepSeek,
    /// and the OpenAI-compatible clients built for it).
    /// </summary>
    private static void WriteReasoning(Utf8JsonWriter json, string text)
    {
        json.WriteString("reasoning", text);
        json.WriteString("reasoning_content", text);
    }

    /// <summary>
    /// OpenRouter's <c>reasoning_details</c>, what a caller sends back so the provider can continue from its own
    /// reasoning: Anthropic's signed thinking (<c>reasoning.text</c>) and Gemini's thought signature on each function
    /// call (<c>reasoning.encrypted</c>, keyed by the call's id). Nothing when there is neither.
    /// </summary>
    private static void WriteReasoningDetails(Utf8JsonWriter json, string? text, string? signature, IReadOnlyList<ToolCall> calls)
    {
        if (signature is null && !calls.Any(c => c.Signature is not null)) return;
        var index = 0;
        json.WriteStartArray("reasoning_details");
        if (signature is not null)
        {
            json.WriteStartObject();
            json.WriteString("type", "reasoning.text");
            if (text is not null) json.WriteString("text", text);
            json.WriteString("signature", signature);
            json.WriteString("format", AnthropicFormat);
            json.WriteNumber("index", index++);
            json.WriteEndObject();
        }
        foreach (var call in calls.Where(c => c.Signature is not null))
        {
            json.WriteStartObject();
            json.WriteString("type", "reasoning.encrypted");
            json.WriteString("data", call.Signature);
            json.WriteString("id", call.Id);
            json.WriteString("format", GeminiFormat);
            json.WriteNumber("index", index++);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    public const string AnthropicFormat = "anthropic-claude-v1";
    public const string GeminiFormat = "google-gemini-v1";

    public static string FinishReasonOf(FinishReason? finish) => finish switch
    {
        FinishReason.Length => "length",
        FinishReason.ToolCalls => "tool_calls",
        FinishReason.ContentFilter => "content_filter",
        _ => "stop",
    };

    private static void WriteToolCall(Utf8JsonWriter json, int index, string? id, string? name, ReadOnlySpan<byte> arguments)
    {
        json.WriteStartArray("tool_calls");
        json.WriteStartObject();
        json.WriteNumber("index", index);
        if (id is not null)
        {
            json.WriteString("id", id);
            json.WriteString("type", "function");
        }
        json.WriteStartObject("function");
        if (name is not null) json.WriteString("name", name);
        json.WriteString("arguments", arguments);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
    }
}
