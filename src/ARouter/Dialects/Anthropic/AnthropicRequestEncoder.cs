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
    public const int MinThinkingBudget = 1_024;

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
        var maxTokens = request.MaxTokens ?? model.MaxOutputTokens ?? DefaultMaxTokens;
        json.WriteNumber("max_tokens", maxTokens);
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
        if (request.Reasoning is { } reasoning) WriteThinking(json, reasoning, maxTokens);
        WriteOutputConfig(json, request);
        if (request.Stream) json.WriteBoolean("stream", true);
        json.WriteEndObject();
    }

    /// <summary>
    /// A budget becomes <c>thinking: {type: enabled, budget_tokens}</c> (at least Anthropic's minimum of 1,024 and below
    /// <c>max_tokens</c>); a level or a bare "on" becomes <c>{type: adaptive}</c> (the level goes in <c>output_config.effort</c>).
    /// </summary>
    private static void WriteThinking(Utf8JsonWriter json, ReasoningSpec reasoning, int maxTokens)
    {
        json.WriteStartObject("thinking");
        if (!reasoning.Enabled)
        {
            json.WriteString("type", "disabled");
        }
        else if (reasoning.BudgetTokens is { } budget && reasoning.Effort is null)
        {
            var allowed = Math.Min(Math.Max(budget, MinThinkingBudget), maxTokens - 1);
            if (allowed < MinThinkingBudget)
                throw new DecodeException($"A thinking budget on Anthropic needs max_tokens above {MinThinkingBudget} (got {maxTokens}).", "max_tokens");
            json.WriteString("type", "enabled");
            json.WriteNumber("budget_tokens", allowed);
        }
        else
        {
            json.WriteString("type", "adaptive");
        }
        json.WriteEndObject();
    }

    /// <summary><c>output_config</c>: the reasoning level and structured outputs (<c>format</c>, JSON Schema only).</summary>
    private static void WriteOutputConfig(Utf8JsonWriter json, ChatRequest request)
    {
        var effort = request.Reasoning is { Enabled: true, Effort: { } level } ? level : null;
        if (effort is null && request.Format is null) return;
        if (request.Format is { Schema: null })
            throw new DecodeException("Anthropic has no JSON mode without a schema: send response_format {\"type\":\"json_schema\",\"json_schema\":{\"schema\":{...}}} instead of json_object.", "response_format");
        json.WriteStartObject("output_config");
        if (effort is not null) json.WriteString("effort", ReasoningLevels.ForAnthropic(effort));
        if (request.Format is { Schema: { } schema })
        {
            json.WriteStartObject("format");
            json.WriteString("type", "json_schema");
            json.WritePropertyName("schema");
            schema.WriteTo(json);
            json.WriteEndObject();
        }
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
        // Anthropic checks the signature of thinking sent back; unsigned thinking (from another provider) is left out.
        if (message is { Role: ChatRole.Assistant, Reasoning: { } thinking, ReasoningSignature: { Length: > 0 } signature })
        {
            json.WriteStartObject();
            json.WriteString("type", "thinking");
            json.WriteString("thinking", thinking);
            json.WriteString("signature", signature);
            json.WriteEndObject();
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
            case FilePart { Data: { } data } file when DataUri.TryParse(data, out var mediaType, out var base64) && mediaType != "application/pdf":
                WriteTextDocument(json, mediaType, base64, file.Filename);
                return;
            case FilePart { Data: { } data } file:
                WriteSourceBlock(json, "document", data, file.Filename);
                return;
            case FilePart file:
                throw new DecodeException($"Provider file ids ('{file.FileId}') cannot be sent to Anthropic; send the PDF as file_data.", "messages");
        }
    }

    /// <summary>Anthropic reads documents as PDF (base64 or URL) or as plain text; other media (audio, video) has no block there.</summary>
    private static void WriteTextDocument(Utf8JsonWriter json, string mediaType, string base64, string? title)
    {
        if (mediaType != "text/plain")
            throw new DecodeException($"Anthropic reads documents as PDF or plain text; '{mediaType}' cannot be sent to it.", "messages");
        string text;
        try
        {
            text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            throw new DecodeException("A text/plain document is not valid base64.", "messages");
        }
        json.WriteStartObject();
        json.WriteString("type", "document");
        json.WriteStartObject("source");
        json.WriteString("type", "text");
        json.WriteString("media_type", "text/plain");
        json.WriteString("data", text);
        json.WriteEndObject();
        if (title is not null) json.WriteString("title", title);
        json.WriteEndObject();
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
