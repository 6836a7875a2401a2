using System.Buffers;
using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Gemini;

/// <summary>
/// Writes the <c>generateContent</c> body Google receives. A Gemini caller's JSON is copied as it came (the model
/// is in the URL); any other caller's request is written from the canonical model: <c>systemInstruction</c>,
/// <c>contents</c> with <c>user</c>/<c>model</c> roles, function calls and responses, <c>generationConfig</c>.
/// </summary>
public static class GeminiRequestEncoder
{
    public static void Encode(IBufferWriter<byte> output, ChatRequest request)
    {
        using var json = new Utf8JsonWriter(output, JsonWriting.Options);
        if (request.Source.Dialect == CallerDialect.Gemini)
        {
            json.WriteStartObject();
            foreach (var property in request.Source.Json.RootElement.EnumerateObject())
                if (!GeminiRequestDecoder.GatewayOnlyFields.Contains(property.Name)) property.WriteTo(json);
            json.WriteEndObject();
            return;
        }
        json.WriteStartObject();
        var system = string.Join("\n\n", request.Messages.Where(m => m.Role == ChatRole.System).Select(TextOf).Where(t => t.Length > 0));
        if (system.Length > 0)
        {
            json.WriteStartObject("systemInstruction");
            json.WriteStartArray("parts");
            GeminiResponseEncoder.WriteTextPart(json, system, thought: false);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        WriteContents(json, request.Messages.Where(m => m.Role != ChatRole.System).ToList());
        WriteGenerationConfig(json, request);
        if (request.Tools is { Count: > 0 } tools) WriteTools(json, tools, request.ToolMode);
        json.WriteEndObject();
    }

    private static void WriteContents(Utf8JsonWriter json, List<ChatMessage> messages)
    {
        // Gemini answers a function call by name; remember which name each call id had.
        var names = messages.SelectMany(m => m.ToolCalls ?? []).GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First().Name);
        json.WriteStartArray("contents");
        foreach (var (role, run) in TurnRuns.Group(messages, m => m.Role == ChatRole.Assistant ? "model" : "user"))
        {
            json.WriteStartObject();
            json.WriteString("role", role);
            json.WriteStartArray("parts");
            foreach (var message in run) WriteParts(json, message, names);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WriteParts(Utf8JsonWriter json, ChatMessage message, Dictionary<string, string> names)
    {
        if (message.Role == ChatRole.Tool)
        {
            json.WriteStartObject();
            json.WriteStartObject("functionResponse");
            json.WriteString("name", message.Name ?? names.GetValueOrDefault(message.ToolCallId ?? "", "function"));
            json.WriteStartObject("response");
            json.WriteString("content", TextOf(message));
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            return;
        }
        foreach (var part in message.Content)
        {
            switch (part)
            {
                case TextPart { Text.Length: > 0 } text:
                    GeminiResponseEncoder.WriteTextPart(json, text.Text, thought: false);
                    break;
                case ImagePart image:
                    WriteMedia(json, image.Url, null);
                    break;
                case FilePart { Data: { } data } file:
                    WriteMedia(json, data, file.MediaType ?? "application/pdf");
                    break;
                case FilePart file:
                    throw new DecodeException($"Provider file ids ('{file.FileId}') cannot be sent to Gemini; send the PDF as file_data.", "messages");
            }
        }
        foreach (var call in message.ToolCalls ?? [])
        {
            json.WriteStartObject();
            json.WriteStartObject("functionCall");
            json.WriteString("name", call.Name);
            json.WritePropertyName("args");
            ToolArguments.WriteAsObject(json, call.ArgumentsJson);
            json.WriteEndObject();
            if (call.Signature is { } signature) json.WriteString("thoughtSignature", signature);
            json.WriteEndObject();
        }
    }

    private static void WriteMedia(Utf8JsonWriter json, string location, string? mediaType)
    {
        json.WriteStartObject();
        if (DataUri.TryParse(location, out var type, out var base64))
        {
            json.WriteStartObject("inlineData");
            json.WriteString("mimeType", type);
            json.WriteString("data", base64);
        }
        else
        {
            json.WriteStartObject("fileData");
            json.WriteString("mimeType", mediaType ?? GuessImageType(location));
            json.WriteString("fileUri", location);
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string GuessImageType(string url) => Path.GetExtension(new Uri(url, UriKind.RelativeOrAbsolute).IsAbsoluteUri ? new Uri(url).AbsolutePath : url).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        _ => "image/jpeg",
    };

    private static void WriteGenerationConfig(Utf8JsonWriter json, ChatRequest request)
    {
        if (request.MaxTokens is null && request.Temperature is null && request.TopP is null && request.Stop is not { Count: > 0 } && request.Format is null && request.Reasoning is null) return;
        json.WriteStartObject("generationConfig");
        if (request.MaxTokens is { } max) json.WriteNumber("maxOutputTokens", max);
        if (request.Temperature is { } temperature) json.WriteNumber("temperature", temperature);
        if (request.TopP is { } topP) json.WriteNumber("topP", topP);
        if (request.Stop is { Count: > 0 } stop)
        {
            json.WriteStartArray("stopSequences");
            foreach (var s in stop) json.WriteStringValue(s);
            json.WriteEndArray();
        }
        if (request.Format is { } format)
        {
            json.WriteString("responseMimeType", "application/json");
            if (format.Schema is { } schema)
            {
                json.WritePropertyName("responseJsonSchema");
                schema.WriteTo(json);
            }
        }
        if (request.Reasoning is { } reasoning) WriteThinkingConfig(json, reasoning);
        json.WriteEndObject();
    }

    /// <summary>
    /// <c>thinkingConfig</c>: off is a budget of 0, a bare "on" is -1 (the model decides), a level becomes a budget
    /// (<see cref="ReasoningLevels.BudgetFor"/>; Gemini 2.5 takes no <c>thinkingLevel</c>, Gemini 3 still takes budgets).
    /// Thoughts are asked for unless the caller excluded them.
    /// </summary>
    private static void WriteThinkingConfig(Utf8JsonWriter json, ReasoningSpec reasoning)
    {
        json.WriteStartObject("thinkingConfig");
        if (!reasoning.Enabled)
        {
            json.WriteNumber("thinkingBudget", 0);
        }
        else
        {
            json.WriteNumber("thinkingBudget", reasoning.BudgetTokens ?? (reasoning.Effort is { } effort ? ReasoningLevels.BudgetFor(effort) : -1));
            json.WriteBoolean("includeThoughts", !reasoning.Exclude);
        }
        json.WriteEndObject();
    }

    private static void WriteTools(Utf8JsonWriter json, IReadOnlyList<ToolDefinition> tools, ToolChoiceSpec? choice)
    {
        json.WriteStartArray("tools");
        json.WriteStartObject();
        json.WriteStartArray("functionDeclarations");
        foreach (var tool in tools)
        {
            json.WriteStartObject();
            json.WriteString("name", tool.Name);
            if (tool.Description is not null) json.WriteString("description", tool.Description);
            if (tool.Parameters is { } schema)
            {
                // Gemini takes a JSON Schema under parametersJsonSchema; the older "parameters" accepts only its OpenAPI subset.
                json.WritePropertyName("parametersJsonSchema");
                schema.WriteTo(json);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        if (choice is null) return;
        json.WriteStartObject("toolConfig");
        json.WriteStartObject("functionCallingConfig");
        json.WriteString("mode", choice.Mode switch { "required" or "tool" => "ANY", "none" => "NONE", _ => "AUTO" });
        if (choice is { Mode: "tool", Name: { } name })
        {
            json.WriteStartArray("allowedFunctionNames");
            json.WriteStringValue(name);
            json.WriteEndArray();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string TextOf(ChatMessage message) => string.Concat(message.Content.OfType<TextPart>().Select(p => p.Text));
}
