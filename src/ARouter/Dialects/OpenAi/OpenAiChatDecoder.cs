using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.OpenAi;

/// <summary>Decodes an OpenAI Chat Completions request body into the canonical <see cref="ChatRequest"/>.</summary>
public static class OpenAiChatDecoder
{
    public const int MaxMessages = 10_000;

    public static ChatRequest Decode(SourceDocument source)
    {
        var root = source.Json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new DecodeException("The request body must be a JSON object.");

        var models = ReadModels(root);
        var model = JsonRead.OptionalString(root, "model", "model") ?? models?[0]
            ?? throw new DecodeException("'model' is required (e.g. \"deepseek/deepseek-chat\").", "model");
        if (model.Length == 0) throw new DecodeException("'model' must not be empty.", "model");

        if (!root.TryGetProperty("messages", out var messagesElement) || messagesElement.ValueKind == JsonValueKind.Null)
            throw new DecodeException("'messages' is required.", "messages");
        if (messagesElement.ValueKind != JsonValueKind.Array) throw new DecodeException("'messages' must be an array.", "messages");
        var count = messagesElement.GetArrayLength();
        if (count == 0) throw new DecodeException("'messages' must contain at least one message.", "messages");
        if (count > MaxMessages) throw new DecodeException($"'messages' may hold at most {MaxMessages} messages.", "messages");

        var messages = new List<ChatMessage>(count);
        var index = 0;
        foreach (var message in messagesElement.EnumerateArray())
            messages.Add(DecodeMessage(message, $"messages[{index++}]"));

        return new ChatRequest
        {
            Model = model,
            Models = models,
            Preferences = ARouter.Routing.ProviderPreferences.Read(root),
            Messages = messages,
            Stream = JsonRead.OptionalBool(root, "stream") ?? false,
            MaxTokens = JsonRead.OptionalPositiveInt(root, "max_completion_tokens") ?? JsonRead.OptionalPositiveInt(root, "max_tokens"),
            Temperature = JsonRead.OptionalNumber(root, "temperature"),
            TopP = JsonRead.OptionalNumber(root, "top_p"),
            Stop = ReadStop(root),
            Tools = ReadTools(root),
            ToolChoice = JsonRead.OptionalElement(root, "tool_choice"),
            ToolMode = ReadToolMode(root),
            Format = ReadFormat(root),
            ResponseFormat = JsonRead.OptionalElement(root, "response_format"),
            Reasoning = ReadReasoning(root),
            Source = source,
        };
    }

    private static List<string>? ReadModels(JsonElement root)
    {
        if (JsonRead.OptionalElement(root, "models") is not { } models) return null;
        if (models.ValueKind != JsonValueKind.Array || models.EnumerateArray().Any(m => m.ValueKind != JsonValueKind.String || m.GetString()!.Length == 0))
            throw new DecodeException("'models' must be an array of model names.", "models");
        var list = models.EnumerateArray().Select(m => m.GetString()!).ToList();
        return list.Count == 0 ? null : list;
    }

    private static ChatMessage DecodeMessage(JsonElement message, string path)
    {
        if (message.ValueKind != JsonValueKind.Object) throw new DecodeException($"'{path}' must be an object.", path);
        var roleName = JsonRead.RequiredStringOf(message, path, "role");
        var role = roleName switch
        {
            "system" or "developer" => ChatRole.System,
            "user" => ChatRole.User,
            "assistant" => ChatRole.Assistant,
            "tool" or "function" => ChatRole.Tool,
            _ => throw new DecodeException($"'{path}.role' must be one of system, developer, user, assistant, tool (got '{roleName}').", $"{path}.role"),
        };

        var content = DecodeContent(message, path);
        var details = ReadReasoningDetails(message, path);
        var toolCalls = DecodeToolCalls(message, path)?.Select(c => details?.CallSignatures.GetValueOrDefault(c.Id) is { } s ? c with { Signature = s } : c).ToList();
        if (content.Count == 0 && toolCalls is null && role != ChatRole.Assistant)
            throw new DecodeException($"'{path}.content' is required for a {roleName} message.", $"{path}.content");

        return new ChatMessage(role, content)
        {
            ToolCalls = toolCalls,
            ToolCallId = JsonRead.OptionalStringOf(message, path, "tool_call_id"),
            Name = JsonRead.OptionalStringOf(message, path, "name"),
            Reasoning = JsonRead.OptionalStringOf(message, path, "reasoning_content") ?? JsonRead.OptionalStringOf(message, path, "reasoning") ?? details?.Text,
            ReasoningSignature = details?.Signature,
        };
    }

    private static IReadOnlyList<ContentPart> DecodeContent(JsonElement message, string path)
    {
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) return [];
        if (content.ValueKind == JsonValueKind.String) return [new TextPart(content.GetString()!)];
        if (content.ValueKind != JsonValueKind.Array)
            throw new DecodeException($"'{path}.content' must be a string or an array of content parts.", $"{path}.content");

        var parts = new List<ContentPart>(content.GetArrayLength());
        var index = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partPath = $"{path}.content[{index++}]";
            if (part.ValueKind != JsonValueKind.Object) throw new DecodeException($"'{partPath}' must be an object.", partPath);
            var type = JsonRead.RequiredStringOf(part, partPath, "type");
            parts.Add(type switch
            {
                "text" or "input_text" => new TextPart(JsonRead.RequiredStringOf(part, partPath, "text")),
                "image_url" => DecodeImage(part, partPath),
                "file" => DecodeFile(part, partPath),
                _ => throw new DecodeException($"'{partPath}.type' '{type}' is not supported (use text, image_url or file).", $"{partPath}.type"),
            });
        }
        return parts;
    }

    private static ImagePart DecodeImage(JsonElement part, string path)
    {
        if (!part.TryGetProperty("image_url", out var image)) throw new DecodeException($"'{path}.image_url' is required.", $"{path}.image_url");
        if (image.ValueKind == JsonValueKind.String) return new ImagePart(image.GetString()!);
        if (image.ValueKind != JsonValueKind.Object) throw new DecodeException($"'{path}.image_url' must be an object with a 'url'.", $"{path}.image_url");
        return new ImagePart(JsonRead.RequiredString(image, "url", $"{path}.image_url.url"), JsonRead.OptionalString(image, "detail", $"{path}.image_url.detail"));
    }

    private static FilePart DecodeFile(JsonElement part, string path)
    {
        if (!part.TryGetProperty("file", out var file) || file.ValueKind != JsonValueKind.Object)
            throw new DecodeException($"'{path}.file' must be an object.", $"{path}.file");
        var data = JsonRead.OptionalString(file, "file_data", $"{path}.file.file_data");
        var id = JsonRead.OptionalString(file, "file_id", $"{path}.file.file_id");
        if (data is null && id is null) throw new DecodeException($"'{path}.file' needs 'file_data' or 'file_id'.", $"{path}.file");
        var mediaType = data is not null && data.StartsWith("data:", StringComparison.Ordinal) ? data[5..Math.Max(5, data.IndexOf(';'))] : null;
        return new FilePart(data, JsonRead.OptionalString(file, "filename", $"{path}.file.filename"), id, mediaType);
    }

    private static List<ToolCall>? DecodeToolCalls(JsonElement message, string path)
    {
        if (JsonRead.OptionalElement(message, "tool_calls") is not { } calls) return null;
        if (calls.ValueKind != JsonValueKind.Array) throw new DecodeException($"'{path}.tool_calls' must be an array.", $"{path}.tool_calls");
        var list = new List<ToolCall>();
        var index = 0;
        foreach (var call in calls.EnumerateArray())
        {
            var callPath = $"{path}.tool_calls[{index++}]";
            if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
                throw new DecodeException($"'{callPath}' must be an object with a 'function'.", callPath);
            list.Add(new ToolCall(
                JsonRead.OptionalStringOf(call, callPath, "id") ?? "",
                JsonRead.RequiredString(function, "name", $"{callPath}.function.name"),
                JsonRead.OptionalString(function, "arguments", $"{callPath}.function.arguments") ?? "{}"));
        }
        return list;
    }

    /// <summary>OpenRouter's <c>reasoning_details</c> on an assistant turn: the signed thinking to send back to Anthropic.</summary>
    /// <remarks>Gemini's thought signatures come as <c>reasoning.encrypted</c> entries whose <c>id</c> is the tool call's.</remarks>
    private static (string? Text, string? Signature, Dictionary<string, string> CallSignatures)? ReadReasoningDetails(JsonElement message, string path)
    {
        if (JsonRead.OptionalElement(message, "reasoning_details") is not { } details) return null;
        if (details.ValueKind != JsonValueKind.Array) throw new DecodeException($"'{path}.reasoning_details' must be an array.", $"{path}.reasoning_details");
        string? text = null, signature = null;
        var calls = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var detail in details.EnumerateArray())
        {
            if (detail.ValueKind != JsonValueKind.Object || !detail.TryGetProperty("type", out var type)) continue;
            // A text signature from any provider but Anthropic would only be refused by Anthropic.
            var format = detail.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            if (type.ValueEquals("reasoning.text") && format is null or OpenAiCanonicalResponseEncoder.AnthropicFormat)
            {
                if (detail.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) text += t.GetString();
                if (detail.TryGetProperty("signature", out var s) && s.ValueKind == JsonValueKind.String) signature = s.GetString();
            }
            else if (type.ValueEquals("reasoning.encrypted") && detail.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                && detail.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String)
            {
                calls[id.GetString()!] = data.GetString()!;
            }
        }
        return (text, signature, calls);
    }

    /// <summary>OpenAI's <c>reasoning_effort</c>, or OpenRouter's <c>reasoning</c> object (effort or max_tokens, exclude, enabled).</summary>
    private static ReasoningSpec? ReadReasoning(JsonElement root)
    {
        var effort = JsonRead.OptionalString(root, "reasoning_effort", "reasoning_effort");
        if (effort is not null) CheckEffort(effort, "reasoning_effort");
        if (JsonRead.OptionalElement(root, "reasoning") is not { } reasoning)
            return effort is null ? null : new ReasoningSpec(effort != "none", effort);
        if (reasoning.ValueKind != JsonValueKind.Object) throw new DecodeException("'reasoning' must be an object {\"effort\"|\"max_tokens\", \"exclude\", \"enabled\"}.", "reasoning");
        effort = JsonRead.OptionalString(reasoning, "effort", "reasoning.effort") ?? effort;
        if (effort is not null) CheckEffort(effort, "reasoning.effort");
        var budget = JsonRead.OptionalElement(reasoning, "max_tokens") is { } max
            ? max.ValueKind == JsonValueKind.Number && max.TryGetInt32(out var n) && n >= 0 ? n : throw new DecodeException("'reasoning.max_tokens' must be a whole number of tokens.", "reasoning.max_tokens")
            : (int?)null;
        var enabled = JsonRead.OptionalBool(reasoning, "enabled") ?? (effort != "none" && budget != 0);
        return new ReasoningSpec(enabled, effort, budget, JsonRead.OptionalBool(reasoning, "exclude") ?? false);
    }

    private static void CheckEffort(string effort, string field)
    {
        if (!ReasoningLevels.Efforts.Contains(effort))
            throw new DecodeException($"'{field}' must be one of {string.Join(", ", ReasoningLevels.Efforts)} (got '{effort}').", field);
    }

    private static List<string>? ReadStop(JsonElement root)
    {
        if (JsonRead.OptionalElement(root, "stop") is not { } stop) return null;
        if (stop.ValueKind == JsonValueKind.String) return [stop.GetString()!];
        if (stop.ValueKind == JsonValueKind.Array && stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String))
            return stop.EnumerateArray().Select(s => s.GetString()!).ToList();
        throw new DecodeException("'stop' must be a string or an array of strings.", "stop");
    }

    private static List<ToolDefinition>? ReadTools(JsonElement root)
    {
        if (JsonRead.OptionalElement(root, "tools") is not { } tools) return null;
        if (tools.ValueKind != JsonValueKind.Array) throw new DecodeException("'tools' must be an array.", "tools");
        var list = new List<ToolDefinition>();
        var index = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var path = $"tools[{index++}]";
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
                throw new DecodeException($"'{path}' must be an object with a 'function'.", path);
            list.Add(new ToolDefinition(
                JsonRead.RequiredString(function, "name", $"{path}.function.name"),
                JsonRead.OptionalString(function, "description", $"{path}.function.description"),
                JsonRead.OptionalElement(function, "parameters")));
        }
        return list;
    }

    private static ToolChoiceSpec? ReadToolMode(JsonElement root)
    {
        if (JsonRead.OptionalElement(root, "tool_choice") is not { } choice) return null;
        if (choice.ValueKind == JsonValueKind.String)
            return choice.GetString() is "auto" or "none" or "required" ? new ToolChoiceSpec(choice.GetString()!) : throw new DecodeException("'tool_choice' must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":...}}.", "tool_choice");
        if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
            return new ToolChoiceSpec("tool", JsonRead.RequiredString(function, "name", "tool_choice.function.name"));
        throw new DecodeException("'tool_choice' must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":...}}.", "tool_choice");
    }

    private static ResponseFormatSpec? ReadFormat(JsonElement root)
    {
        if (JsonRead.OptionalElement(root, "response_format") is not { } format) return null;
        if (format.ValueKind != JsonValueKind.Object) throw new DecodeException("'response_format' must be an object.", "response_format");
        return JsonRead.RequiredString(format, "type", "response_format.type") switch
        {
            "text" => null,
            "json_object" => new ResponseFormatSpec("json_object"),
            "json_schema" when format.TryGetProperty("json_schema", out var spec) && spec.ValueKind == JsonValueKind.Object =>
                new ResponseFormatSpec("json_schema", JsonRead.OptionalElement(spec, "schema"), JsonRead.OptionalString(spec, "name", "response_format.json_schema.name")),
            var other => throw new DecodeException($"'response_format.type' must be text, json_object or json_schema (got '{other}').", "response_format.type"),
        };
    }
}
