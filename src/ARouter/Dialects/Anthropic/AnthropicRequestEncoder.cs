using System.Buffers;
using System.Text.Json;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Anthropic;

/// <summary>
/// Writes the Messages API body Anthropic receives. An Anthropic caller's JSON is copied with the model swapped;
/// any other caller's request is written from the canonical model: system prompt lifted out of the messages,
/// consecutive same-role turns merged (Anthropic requires alternation), tool results as <c>tool_result</c>
/// blocks, <c>max_tokens</c> always set.
/// </summary>
public static class AnthropicRequestEncoder
{
    public const int DefaultMaxTokens = 4_096;

    public static void Encode(IBufferWriter<byte> output, ChatRequest request, ModelRecord model)
    {
        using var json = new Utf8JsonWriter(output, JsonWriting.Options);
        if (request.Source.Dialect == CallerDialect.Anthropic)
        {
            json.WriteStartObject();
            json.WriteString("model", model.UpstreamId);
            foreach (var property in request.Source.Json.RootElement.EnumerateObject())
                if (property.Name is not ("model" or "models" or "route" or "provider")) property.WriteTo(json);
            json.WriteEndObject();
            return;
        }

        json.WriteStartObject();
        json.WriteString("model", model.UpstreamId);
        json.WriteNumber("max_tokens", request.MaxTokens ?? model.MaxOutputTokens ?? DefaultMaxTokens);
        var system = string.Join("\n\n", request.Messages.Where(m => m.Role == ChatRole.System).Select(TextOf).Where(t => t.Length > 0));
        if (system.Length > 0) json.WriteString("system", system);
        WriteMessages(json, request.Messages.Where(m => m.Role != ChatRole.System).ToList());
        if (request.Temperature is { } temperature) json.WriteNumber("temperature", temperature);
        if (request.TopP is { } topP) json.WriteNumber("top_p", topP);
        if (request.Stop is { Count: > 0 } stop)
        {
            json.WriteStartArray("stop_sequences");
            foreach (var s in stop) json.WriteStringValue(s);
            json.WriteEndArray();
        }
        if (request.Tools is { Count: > 0 } tools) WriteTools(json, tools, request.ToolMode);
        if (request.Stream) json.WriteBoolean("stream", true);
        json.WriteEndObject();
    }

    private static void WriteMessages(Utf8JsonWriter json, List<ChatMessage> messages)
    {
        json.WriteStartArray("messages");
        // Tool results are user turns in Anthropic's model.
        foreach (var (role, run) in TurnRuns.Group(messages, m => m.Role == ChatRole.Assistant ? "assistant" : "user"))
        {
            json.WriteStartObject();
            json.WriteString("role", role);
            json.WriteStartArray("content");
            foreach (var message in run) WriteBlocks(json, message);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteBlocks(Utf8JsonWriter json, ChatMessage message)
    {
        if (message.Role == ChatRole.Tool)
        {
            json.WriteStartObject();
            json.WriteString("type", "tool_result");
            json.WriteString("tool_use_id", message.ToolCallId ?? "");
            json.WriteString("content", TextOf(message));
            json.WriteEndObject();
            return;
        }
        foreach (var part in message.Content) WritePart(json, part);
        foreach (var call in message.ToolCalls ?? []) AnthropicResponseEncoder.WriteToolUse(json, call);
    }

    private static void WritePart(Utf8JsonWriter json, ContentPart part)
    {
        switch (part)
        {
            case TextPart { Text.Length: 0 }:
                return;
            case TextPart text:
                json.WriteStartObject();
                json.WriteString("type", "text");
                json.WriteString("text", text.Text);
                json.WriteEndObject();
                return;
            case ImagePart image:
                WriteSourceBlock(json, "image", image.Url, null);
                return;
            case FilePart { Data: { } data } file:
                WriteSourceBlock(json, "document", data, file.Filename);
                return;
            case FilePart file:
                throw new DecodeException($"Provider file ids ('{file.FileId}') cannot be sent to Anthropic; send the PDF as file_data.", "messages");
        }
    }

    private static void WriteSourceBlock(Utf8JsonWriter json, string type, string location, string? title)
    {
        json.WriteStartObject();
        json.WriteString("type", type);
        json.WriteStartObject("source");
        if (DataUri.TryParse(location, out var mediaType, out var base64))
        {
            json.WriteString("type", "base64");
            json.WriteString("media_type", mediaType);
            json.WriteString("data", base64);
        }
        else
        {
            json.WriteString("type", "url");
            json.WriteString("url", location);
        }
        json.WriteEndObject();
        if (title is not null && type == "document") json.WriteString("title", title);
        json.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter json, IReadOnlyList<ToolDefinition> tools, ToolChoiceSpec? choice)
    {
        json.WriteStartArray("tools");
        foreach (var tool in tools)
        {
            json.WriteStartObject();
            json.WriteString("name", tool.Name);
            if (tool.Description is not null) json.WriteString("description", tool.Description);
            json.WritePropertyName("input_schema");
            if (tool.Parameters is { } schema) schema.WriteTo(json); else json.WriteRawValue("""{"type":"object","properties":{}}""");
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (choice is null) return;
        json.WriteStartObject("tool_choice");
        json.WriteString("type", choice.Mode switch { "required" => "any", "tool" => "tool", "none" => "none", _ => "auto" });
        if (choice is { Mode: "tool", Name: { } name }) json.WriteString("name", name);
        json.WriteEndObject();
    }

    private static string TextOf(ChatMessage message) => string.Concat(message.Content.OfType<TextPart>().Select(p => p.Text));
}
