using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Anthropic;

/// <summary>
/// Decodes an Anthropic Messages request (<c>POST /v1/messages</c>) into the canonical <see cref="ChatRequest"/>:
/// the top-level system prompt becomes a system message, <c>tool_result</c> blocks become tool messages,
/// <c>tool_use</c> blocks become tool calls, images and documents become parts.
/// </summary>
public static class AnthropicRequestDecoder
{
    public const int MaxMessages = 10_000;

    /// <param name="forCounting"><c>count_tokens</c> takes the same body without <c>max_tokens</c>.</param>
    public static ChatRequest Decode(SourceDocument source, bool forCounting = false)
    {
        var root = source.Json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new DecodeException("The request body must be a JSON object.");
        var model = JsonRead.RequiredString(root, "model", "model");
        if (model.Length == 0) throw new DecodeException("model: must not be empty.", "model");
        var maxTokens = JsonRead.OptionalPositiveInt(root, "max_tokens");
        if (maxTokens is null && !forCounting) throw new DecodeException("max_tokens: Field required", "max_tokens");

        if (!root.TryGetProperty("messages", out var messagesElement) || messagesElement.ValueKind != JsonValueKind.Array)
            throw new DecodeException("messages: Field required (an array of messages)", "messages");
        var count = messagesElement.GetArrayLength();
        if (count == 0) throw new DecodeException("messages: at least one message is required", "messages");
        if (count > MaxMessages) throw new DecodeException($"messages: at most {MaxMessages} messages", "messages");

        var messages = new List<ChatMessage>(count + 1);
        if (ReadSystem(root) is { Length: > 0 } system) messages.Add(new ChatMessage(ChatRole.System, [new TextPart(system)]));
        var index = 0;
        foreach (var message in messagesElement.EnumerateArray()) DecodeMessage(message, $"messages.{index++}", messages);

        var (tools, toolMode) = ReadTools(root);
        return new ChatRequest
        {
            Model = model,
            // OpenRouter's fallback list is accepted here too; Anthropic itself never sees it.
            Models = JsonRead.OptionalElement(root, "models") is { ValueKind: JsonValueKind.Array } models && models.EnumerateArray().All(m => m.ValueKind == JsonValueKind.String)
                ? models.EnumerateArray().Select(m => m.GetString()!).ToList()
                : null,
            Preferences = ARouter.Routing.ProviderPreferences.Read(root),
            Messages = messages,
            Stream = JsonRead.OptionalBool(root, "stream") ?? false,
            MaxTokens = maxTokens,
            Temperature = JsonRead.OptionalNumber(root, "temperature"),
            TopP = JsonRead.OptionalNumber(root, "top_p"),
            Stop = ReadStopSequences(root),
            Tools = tools,
            ToolMode = toolMode,
            Reasoning = ReadThinking(root),
            Format = ReadOutputFormat(root),
            Source = source,
        };
    }

    /// <summary><c>thinking</c> (enabled with a budget, adaptive, disabled) and <c>output_config.effort</c>.</summary>
    private static ReasoningSpec? ReadThinking(JsonElement root)
    {
        var effort = JsonRead.OptionalElement(root, "output_config") is { ValueKind: JsonValueKind.Object } config
            ? JsonRead.OptionalString(config, "effort", "output_config.effort")
            : null;
        if (effort is not null && !ReasoningLevels.Efforts.Contains(effort))
            throw new DecodeException($"output_config.effort: must be low, medium, high or max (got '{effort}')", "output_config.effort");
        if (JsonRead.OptionalElement(root, "thinking") is not { } thinking) return effort is null ? null : new ReasoningSpec(true, effort);
        if (thinking.ValueKind != JsonValueKind.Object) throw new DecodeException("thinking: must be an object", "thinking");
        return JsonRead.RequiredString(thinking, "type", "thinking.type") switch
        {
            "enabled" => new ReasoningSpec(true, effort, JsonRead.OptionalPositiveInt(thinking, "budget_tokens")
                ?? throw new DecodeException("thinking.budget_tokens: Field required", "thinking.budget_tokens")),
            "adaptive" => new ReasoningSpec(true, effort),
            "disabled" => new ReasoningSpec(false),
            var other => throw new DecodeException($"thinking.type: must be enabled, adaptive or disabled (got '{other}')", "thinking.type"),
        };
    }

    /// <summary>Structured outputs: <c>output_config.format</c>, or the beta's top-level <c>output_format</c>.</summary>
    private static ResponseFormatSpec? ReadOutputFormat(JsonElement root)
    {
        var format = JsonRead.OptionalElement(root, "output_config") is { ValueKind: JsonValueKind.Object } config ? JsonRead.OptionalElement(config, "format") : null;
        format ??= JsonRead.OptionalElement(root, "output_format");
        if (format is not { } f) return null;
        if (f.ValueKind != JsonValueKind.Object || JsonRead.OptionalString(f, "type", "output_config.format.type") != "json_schema")
            throw new DecodeException("output_config.format: must be {\"type\": \"json_schema\", \"schema\": {...}}", "output_config.format");
        return new ResponseFormatSpec("json_schema", JsonRead.OptionalElement(f, "schema") ?? throw new DecodeException("output_config.format.schema: Field required", "output_config.format.schema"), "response");
    }

    private static string? ReadSystem(JsonElement root)
    {
        if (JsonRead.OptionalElement(root, "system") is not { } system) return null;
        if (system.ValueKind == JsonValueKind.String) return system.GetString();
        if (system.ValueKind != JsonValueKind.Array) throw new DecodeException("system: must be a string or an array of text blocks", "system");
        var index = 0;
        return string.Join("\n\n", system.EnumerateArray().Select(block => TextBlock(block, $"system.{index++}")));
    }

    private static void DecodeMessage(JsonElement message, string path, List<ChatMessage> output)
    {
        if (message.ValueKind != JsonValueKind.Object) throw new DecodeException($"{path}: must be an object", path);
        var role = JsonRead.RequiredStringOf(message, path, "role");
        if (role is not ("user" or "assistant")) throw new DecodeException($"{path}.role: must be 'user' or 'assistant' (got '{role}')", $"{path}.role");
        if (!message.TryGetProperty("content", out var content)) throw new DecodeException($"{path}.content: Field required", $"{path}.content");

        if (content.ValueKind == JsonValueKind.String)
        {
            output.Add(new ChatMessage(role == "user" ? ChatRole.User : ChatRole.Assistant, [new TextPart(content.GetString()!)]));
            return;
        }
        if (content.ValueKind != JsonValueKind.Array) throw new DecodeException($"{path}.content: must be a string or an array of content blocks", $"{path}.content");

        var parts = new List<ContentPart>();
        var calls = new List<ToolCall>();
        string? reasoning = null, signature = null;
        var index = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockPath = $"{path}.content.{index++}";
            if (block.ValueKind != JsonValueKind.Object) throw new DecodeException($"{blockPath}: must be an object", blockPath);
            var type = JsonRead.RequiredStringOf(block, blockPath, "type");
            switch (type)
            {
                case "text":
                    parts.Add(new TextPart(JsonRead.RequiredStringOf(block, blockPath, "text")));
                    break;
                case "image":
                    parts.Add(DecodeImage(block, blockPath));
                    break;
                case "document":
                    parts.Add(DecodeDocument(block, blockPath));
                    break;
                case "tool_use" when role == "assistant":
                    var input = block.TryGetProperty("input", out var i) ? i.GetRawText() : "{}";
                    calls.Add(new ToolCall(JsonRead.RequiredStringOf(block, blockPath, "id"), JsonRead.RequiredStringOf(block, blockPath, "name"), input));
                    break;
                case "tool_result" when role == "user":
                    output.Add(DecodeToolResult(block, blockPath));
                    break;
                case "thinking" when role == "assistant":
                    reasoning = JsonRead.OptionalStringOf(block, blockPath, "thinking");
                    signature = JsonRead.OptionalStringOf(block, blockPath, "signature");
                    break;
                case "redacted_thinking" when role == "assistant":
                    break;
                default:
                    throw new DecodeException($"{blockPath}.type: '{type}' is not supported in a {role} message here (use text, image, document{(role == "user" ? ", tool_result" : ", tool_use")}).", $"{blockPath}.type");
            }
        }
        if (role == "assistant") output.Add(new ChatMessage(ChatRole.Assistant, parts) { ToolCalls = calls.Count > 0 ? calls : null, Reasoning = reasoning, ReasoningSignature = signature });
        else if (parts.Count > 0) output.Add(new ChatMessage(ChatRole.User, parts));
    }

    private static ChatMessage DecodeToolResult(JsonElement block, string path)
    {
        var id = JsonRead.RequiredStringOf(block, path, "tool_use_id");
        var text = "";
        if (JsonRead.OptionalElement(block, "content") is { } content)
        {
            if (content.ValueKind == JsonValueKind.String) text = content.GetString()!;
            else if (content.ValueKind == JsonValueKind.Array)
                text = string.Join("\n", content.EnumerateArray().Where(b => b.ValueKind == JsonValueKind.Object && b.TryGetProperty("type", out var t) && t.ValueEquals("text"))
                    .Select((b, i) => TextBlock(b, $"{path}.content.{i}")));
            else throw new DecodeException($"{path}.content: must be a string or an array of blocks", $"{path}.content");
        }
        if (JsonRead.OptionalBool(block, "is_error") == true) text = "Error: " + text;
        return new ChatMessage(ChatRole.Tool, [new TextPart(text)]) { ToolCallId = id };
    }

    private static ImagePart DecodeImage(JsonElement block, string path)
    {
        var source = Source(block, path);
        return JsonRead.RequiredString(source, "type", $"{path}.source.type") switch
        {
            "base64" => new ImagePart($"data:{JsonRead.RequiredString(source, "media_type", $"{path}.source.media_type")};base64,{JsonRead.RequiredString(source, "data", $"{path}.source.data")}"),
            "url" => new ImagePart(JsonRead.RequiredString(source, "url", $"{path}.source.url")),
            var other => throw new DecodeException($"{path}.source.type: '{other}' is not supported for images (use base64 or url)", $"{path}.source.type"),
        };
    }

    private static ContentPart DecodeDocument(JsonElement block, string path)
    {
        var source = Source(block, path);
        var title = JsonRead.OptionalStringOf(block, path, "title");
        return JsonRead.RequiredString(source, "type", $"{path}.source.type") switch
        {
            "base64" => new FilePart($"data:{JsonRead.RequiredString(source, "media_type", $"{path}.source.media_type")};base64,{JsonRead.RequiredString(source, "data", $"{path}.source.data")}",
                title ?? "document.pdf", null, JsonRead.OptionalString(source, "media_type", $"{path}.source.media_type")),
            "url" => new FilePart(JsonRead.RequiredString(source, "url", $"{path}.source.url"), title, null, "application/pdf"),
            "text" => new TextPart(JsonRead.RequiredString(source, "data", $"{path}.source.data")),
            var other => throw new DecodeException($"{path}.source.type: '{other}' is not supported for documents (use base64, url or text)", $"{path}.source.type"),
        };
    }

    private static JsonElement Source(JsonElement block, string path)
        => block.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.Object
            ? source
            : throw new DecodeException($"{path}.source: Field required", $"{path}.source");

    private static string TextBlock(JsonElement block, string path)
    {
        if (block.ValueKind != JsonValueKind.Object || JsonRead.OptionalStringOf(block, path, "type") != "text")
            throw new DecodeException($"{path}: must be a text block", path);
        return JsonRead.RequiredStringOf(block, path, "text");
    }

    private static List<string>? ReadStopSequences(JsonElement root)
    {
        if (JsonRead.OptionalElement(root, "stop_sequences") is not { } stop) return null;
        if (stop.ValueKind != JsonValueKind.Array || stop.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
            throw new DecodeException("stop_sequences: must be an array of strings", "stop_sequences");
        return stop.EnumerateArray().Select(s => s.GetString()!).ToList();
    }

    private static (List<ToolDefinition>? Tools, ToolChoiceSpec? Choice) ReadTools(JsonElement root)
    {
        List<ToolDefinition>? tools = null;
        if (JsonRead.OptionalElement(root, "tools") is { } toolsElement)
        {
            if (toolsElement.ValueKind != JsonValueKind.Array) throw new DecodeException("tools: must be an array", "tools");
            tools = [];
            var index = 0;
            foreach (var tool in toolsElement.EnumerateArray())
            {
                var path = $"tools.{index++}";
                if (tool.ValueKind != JsonValueKind.Object) throw new DecodeException($"{path}: must be an object", path);
                if (JsonRead.OptionalStringOf(tool, path, "type") is { } type && type != "custom")
                    throw new DecodeException($"{path}.type: server tool '{type}' runs only on Anthropic and cannot be translated to another provider", $"{path}.type");
                tools.Add(new ToolDefinition(JsonRead.RequiredStringOf(tool, path, "name"), JsonRead.OptionalStringOf(tool, path, "description"),
                    JsonRead.OptionalElement(tool, "input_schema") ?? throw new DecodeException($"{path}.input_schema: Field required", $"{path}.input_schema")));
            }
        }

        ToolChoiceSpec? choice = null;
        if (JsonRead.OptionalElement(root, "tool_choice") is { } choiceElement)
        {
            if (choiceElement.ValueKind != JsonValueKind.Object) throw new DecodeException("tool_choice: must be an object", "tool_choice");
            choice = JsonRead.RequiredString(choiceElement, "type", "tool_choice.type") switch
            {
                "auto" => new ToolChoiceSpec("auto"),
                "any" => new ToolChoiceSpec("required"),
                "none" => new ToolChoiceSpec("none"),
                "tool" => new ToolChoiceSpec("tool", JsonRead.RequiredString(choiceElement, "name", "tool_choice.name")),
                var other => throw new DecodeException($"tool_choice.type: must be auto, any, tool or none (got '{other}')", "tool_choice.type"),
            };
        }
        return (tools, choice);
    }
}
