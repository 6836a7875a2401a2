using System.Buffers;
using System.Text.Json;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.OpenAi;

/// <summary>Writes an OpenAI-wire request from the canonical model, for callers that spoke another dialect.</summary>
public static class OpenAiCanonicalRequestEncoder
{
    public static void Encode(IBufferWriter<byte> output, ChatRequest request, ModelRecord model, ProviderRecord provider)
    {
        using var json = new Utf8JsonWriter(output, JsonWriting.Options);
        json.WriteStartObject();
        json.WriteString("model", model.UpstreamId);
        json.WriteStartArray("messages");
        foreach (var message in request.Messages) WriteMessage(json, message);
        json.WriteEndArray();
        if (request.MaxTokens is { } maxTokens) json.WriteNumber(provider.Quirks.MaxTokensField, maxTokens);
        if (request.Temperature is { } temperature) json.WriteNumber("temperature", temperature);
        if (request.TopP is { } topP) json.WriteNumber("top_p", topP);
        if (request.Stop is { Count: > 0 } stop)
        {
            json.WriteStartArray("stop");
            foreach (var s in stop) json.WriteStringValue(s);
            json.WriteEndArray();
        }
        if (request.Tools is { Count: > 0 } tools) WriteTools(json, tools, request.ToolMode);
        if (request.Format is { } format) WriteFormat(json, format);
        OpenAiRequestEncoder.WriteReasoningEffort(json, request.Reasoning, provider.Quirks);
        if (request.Stream)
        {
            json.WriteBoolean("stream", true);
            if (!provider.Quirks.RejectsStreamOptions && provider.Quirks.StreamUsage == StreamUsageMode.IncludeUsage)
            {
                json.WriteStartObject("stream_options");
                json.WriteBoolean("include_usage", true);
                json.WriteEndObject();
            }
        }
        json.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter json, ChatMessage message)
    {
        json.WriteStartObject();
        switch (message.Role)
        {
            case ChatRole.System:
                json.WriteString("role", "system");
                json.WriteString("content", TextOf(message));
                break;
            case ChatRole.Tool:
                json.WriteString("role", "tool");
                json.WriteString("tool_call_id", message.ToolCallId ?? "");
                json.WriteString("content", TextOf(message));
                break;
            case ChatRole.Assistant:
                json.WriteString("role", "assistant");
                var text = TextOf(message);
                if (text.Length == 0 && message.ToolCalls is { Count: > 0 }) json.WriteNull("content"); else json.WriteString("content", text);
                if (message.ToolCalls is { Count: > 0 } calls) OpenAiCanonicalResponseEncoder.WriteToolCalls(json, calls);
                break;
            default:
                json.WriteString("role", "user");
                WriteUserContent(json, message.Content);
                break;
        }
        json.WriteEndObject();
    }

    private static void WriteUserContent(Utf8JsonWriter json, IReadOnlyList<ContentPart> parts)
    {
        if (parts.All(p => p is TextPart))
        {
            json.WriteString("content", string.Concat(parts.Cast<TextPart>().Select(p => p.Text)));
            return;
        }
        json.WriteStartArray("content");
        foreach (var part in parts)
        {
            json.WriteStartObject();
            switch (part)
            {
                case TextPart text:
                    json.WriteString("type", "text");
                    json.WriteString("text", text.Text);
                    break;
                case ImagePart image:
                    json.WriteString("type", "image_url");
                    json.WriteStartObject("image_url");
                    json.WriteString("url", image.Url);
                    if (image.Detail is not null) json.WriteString("detail", image.Detail);
                    json.WriteEndObject();
                    break;
                case FilePart file:
                    json.WriteString("type", "file");
                    json.WriteStartObject("file");
                    if (file.Data is not null) json.WriteString("file_data", file.Data);
                    if (file.FileId is not null) json.WriteString("file_id", file.FileId);
                    // OpenAI refuses file_data without a filename.
                    if (file.Filename is not null || file.Data is not null) json.WriteString("filename", file.Filename ?? "document.pdf");
                    json.WriteEndObject();
                    break;
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteTools(Utf8JsonWriter json, IReadOnlyList<ToolDefinition> tools, ToolChoiceSpec? choice)
    {
        json.WriteStartArray("tools");
        foreach (var tool in tools)
        {
            json.WriteStartObject();
            json.WriteString("type", "function");
            json.WriteStartObject("function");
            json.WriteString("name", tool.Name);
            if (tool.Description is not null) json.WriteString("description", tool.Description);
            json.WritePropertyName("parameters");
            if (tool.Parameters is { } parameters) parameters.WriteTo(json); else json.WriteRawValue("""{"type":"object","properties":{}}""");
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        switch (choice)
        {
            case { Mode: "tool", Name: { } name }:
                json.WriteStartObject("tool_choice");
                json.WriteString("type", "function");
                json.WriteStartObject("function");
                json.WriteString("name", name);
                json.WriteEndObject();
                json.WriteEndObject();
                break;
            case { Mode: "auto" or "none" or "required" }:
                json.WriteString("tool_choice", choice.Mode);
                break;
        }
    }

    private static void WriteFormat(Utf8JsonWriter json, ResponseFormatSpec format)
    {
        json.WriteStartObject("response_format");
        json.WriteString("type", format.Schema is null ? "json_object" : "json_schema");
        if (format.Schema is { } schema)
        {
            json.WriteStartObject("json_schema");
            json.WriteString("name", format.Name ?? "response");
            json.WritePropertyName("schema");
            schema.WriteTo(json);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static string TextOf(ChatMessage message) => string.Concat(message.Content.OfType<TextPart>().Select(p => p.Text));
}
