using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Gemini;

/// <summary>
/// Decodes a Gemini <c>generateContent</c> body into the canonical <see cref="ChatRequest"/>. The model and
/// whether to stream come from the URL (<c>/v1beta/models/{model}:streamGenerateContent</c>). Field names are
/// accepted in camelCase (what the SDKs send) and snake_case (what the REST API also accepts).
/// </summary>
public static class GeminiRequestDecoder
{
    public const int MaxContents = 10_000;

    public static ChatRequest Decode(SourceDocument source, string model, bool stream, bool forCounting = false)
    {
        var root = source.Json.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new DecodeException("Invalid JSON payload: the request body must be a JSON object.");
        // countTokens may wrap a whole generateContent request.
        if (forCounting && Field(root, "generateContentRequest", "generate_content_request") is { ValueKind: JsonValueKind.Object } wrapped) root = wrapped;

        if (Field(root, "contents") is not { ValueKind: JsonValueKind.Array } contents)
            throw new DecodeException("* GenerateContentRequest.contents: contents is not specified", "contents");
        var count = contents.GetArrayLength();
        if (count == 0 && !forCounting) throw new DecodeException("* GenerateContentRequest.contents: contents is not specified", "contents");
        if (count > MaxContents) throw new DecodeException($"contents: at most {MaxContents} entries", "contents");

        var messages = new List<ChatMessage>(count + 1);
        if (Field(root, "systemInstruction", "system_instruction") is { ValueKind: JsonValueKind.Object } system)
            messages.Add(new ChatMessage(ChatRole.System, [new TextPart(TextOf(system, "systemInstruction"))]));
        var index = 0;
        var callIds = new Queue<string>();
        foreach (var content in contents.EnumerateArray()) DecodeContent(content, $"contents[{index++}]", messages, callIds);

        var config = Field(root, "generationConfig", "generation_config") is { ValueKind: JsonValueKind.Object } c ? c : default;
        var (tools, toolMode) = ReadTools(root);
        return new ChatRequest
        {
            Model = model,
            // OpenRouter's fallback list and provider preferences, as the other dialects take them; Google never sees them.
            Models = ReadModels(source.Json.RootElement),
            Preferences = ARouter.Routing.ProviderPreferences.Read(source.Json.RootElement),
            Messages = messages,
            Stream = stream,
            MaxTokens = config.ValueKind == JsonValueKind.Object ? PositiveInt(config, "maxOutputTokens", "max_output_tokens") : null,
            Temperature = config.ValueKind == JsonValueKind.Object ? Number(config, "temperature") : null,
            TopP = config.ValueKind == JsonValueKind.Object ? Number(config, "topP", "top_p") : null,
            Stop = config.ValueKind == JsonValueKind.Object ? Strings(config, "stopSequences", "stop_sequences") : null,
            Tools = tools,
            ToolMode = toolMode,
            Format = config.ValueKind == JsonValueKind.Object ? ReadFormat(config) : null,
            Reasoning = config.ValueKind == JsonValueKind.Object ? ReadThinking(config) : null,
            Source = source,
        };
    }

    /// <summary>Gateway fields a Gemini body may carry; the encoder leaves them out when it copies the body to Google.</summary>
    public static readonly string[] GatewayOnlyFields = ["models", "route", "provider"];

    private static List<string>? ReadModels(JsonElement root)
    {
        if (Field(root, "models") is not { } models) return null;
        if (models.ValueKind != JsonValueKind.Array || models.EnumerateArray().Any(m => m.ValueKind != JsonValueKind.String || m.GetString()!.Length == 0))
            throw new DecodeException("models: must be an array of model names", "models");
        var list = models.EnumerateArray().Select(m => m.GetString()!).ToList();
        return list.Count == 0 ? null : list;
    }

    /// <summary>
    /// <c>generationConfig.thinkingConfig</c>: <c>thinkingBudget</c> (0 off, -1 dynamic, else a budget),
    /// <c>thinkingLevel</c> (Gemini 3), <c>includeThoughts</c>.
    /// </summary>
    private static ReasoningSpec? ReadThinking(JsonElement config)
    {
        if (Field(config, "thinkingConfig", "thinking_config") is not { } thinking) return null;
        if (thinking.ValueKind != JsonValueKind.Object) throw new DecodeException("generationConfig.thinkingConfig: must be an object", "thinkingConfig");
        var budget = Field(thinking, "thinkingBudget", "thinking_budget") is { } b
            ? b.ValueKind == JsonValueKind.Number && b.TryGetInt32(out var n) && n >= -1 ? n : throw new DecodeException("thinkingConfig.thinkingBudget: must be -1, 0 or a positive number of tokens", "thinkingBudget")
            : (int?)null;
        var level = String(thinking, "thinkingLevel", "thinking_level")?.ToLowerInvariant();
        if (level is not (null or "minimal" or "low" or "medium" or "high"))
            throw new DecodeException($"thinkingConfig.thinkingLevel: must be MINIMAL, LOW, MEDIUM or HIGH (got '{level}')", "thinkingLevel");
        // Gemini returns thoughts only when asked (includeThoughts defaults to false).
        var include = Field(thinking, "includeThoughts", "include_thoughts") is { ValueKind: JsonValueKind.True };
        if (budget == 0) return new ReasoningSpec(false, null, 0);
        if (budget is null && level is null && !include) return null;
        return new ReasoningSpec(true, level, budget is > 0 ? budget : null, Exclude: !include);
    }

    private static void DecodeContent(JsonElement content, string path, List<ChatMessage> output, Queue<string> callIds)
    {
        if (content.ValueKind != JsonValueKind.Object) throw new DecodeException($"{path}: must be an object", path);
        var role = Field(content, "role") is { ValueKind: JsonValueKind.String } r ? r.GetString() : "user";
        if (role is not ("user" or "model" or "function"))
            throw new DecodeException($"{path}.role: Please use a valid role: user, model (got '{role}').", $"{path}.role");
        if (Field(content, "parts") is not { ValueKind: JsonValueKind.Array } parts)
            throw new DecodeException($"{path}.parts: must not be empty", $"{path}.parts");

        var pieces = new List<ContentPart>();
        var calls = new List<ToolCall>();
        var index = 0;
        foreach (var part in parts.EnumerateArray())
        {
            var partPath = $"{path}.parts[{index++}]";
            if (part.ValueKind != JsonValueKind.Object) throw new DecodeException($"{partPath}: must be an object", partPath);
            if (Field(part, "thought") is { ValueKind: JsonValueKind.True }) continue;
            if (Field(part, "text") is { ValueKind: JsonValueKind.String } text) pieces.Add(new TextPart(text.GetString()!));
            else if (Field(part, "inlineData", "inline_data") is { ValueKind: JsonValueKind.Object } inline)
            {
                var mimeType = RequiredString(inline, partPath + ".inlineData", "mimeType", "mime_type");
                pieces.Add(Media(mimeType, $"data:{mimeType};base64,{RequiredString(inline, partPath + ".inlineData", "data")}"));
            }
            else if (Field(part, "fileData", "file_data") is { ValueKind: JsonValueKind.Object } file)
                pieces.Add(Media(String(file, "mimeType", "mime_type") ?? "application/octet-stream", RequiredString(file, partPath + ".fileData", "fileUri", "file_uri")));
            else if (Field(part, "functionCall", "function_call") is { ValueKind: JsonValueKind.Object } call)
            {
                var id = String(call, "id") ?? $"call_{Guid.NewGuid():n}"[..24];
                callIds.Enqueue(id);
                calls.Add(new ToolCall(id, RequiredString(call, partPath + ".functionCall", "name"), Field(call, "args") is { } args ? args.GetRawText() : "{}"));
            }
            else if (Field(part, "functionResponse", "function_response") is { ValueKind: JsonValueKind.Object } result)
            {
                // Gemini pairs results with calls by name and order; OpenAI needs the call's id.
                var id = String(result, "id") ?? (callIds.Count > 0 ? callIds.Dequeue() : RequiredString(result, partPath + ".functionResponse", "name"));
                output.Add(new ChatMessage(ChatRole.Tool, [new TextPart(Field(result, "response") is { } response ? response.GetRawText() : "{}")]) { ToolCallId = id, Name = String(result, "name") });
            }
            else throw new DecodeException($"{partPath}: a part needs one of text, inlineData, fileData, functionCall or functionResponse", partPath);
        }
        if (role == "model") output.Add(new ChatMessage(ChatRole.Assistant, pieces) { ToolCalls = calls.Count > 0 ? calls : null });
        else if (pieces.Count > 0) output.Add(new ChatMessage(ChatRole.User, pieces));
    }

    private static ContentPart Media(string mimeType, string url)
        => mimeType.StartsWith("image/", StringComparison.Ordinal) ? new ImagePart(url) : new FilePart(url, null, null, mimeType);

    private static ResponseFormatSpec? ReadFormat(JsonElement config)
    {
        if (String(config, "responseMimeType", "response_mime_type") != "application/json") return null;
        var schema = Field(config, "responseJsonSchema", "response_json_schema") ?? Field(config, "responseSchema", "response_schema");
        return schema is null ? new ResponseFormatSpec("json_object") : new ResponseFormatSpec("json_schema", schema, "response");
    }

    private static (List<ToolDefinition>? Tools, ToolChoiceSpec? Mode) ReadTools(JsonElement root)
    {
        List<ToolDefinition>? tools = null;
        if (Field(root, "tools") is { ValueKind: JsonValueKind.Array } toolsElement)
        {
            tools = [];
            foreach (var tool in toolsElement.EnumerateArray())
            {
                if (tool.ValueKind != JsonValueKind.Object) throw new DecodeException("tools: each tool must be an object", "tools");
                if (Field(tool, "functionDeclarations", "function_declarations") is not { ValueKind: JsonValueKind.Array } declarations)
                    throw new DecodeException("tools: only functionDeclarations can be translated to another provider (not googleSearch, codeExecution, ...)", "tools");
                foreach (var declaration in declarations.EnumerateArray())
                {
                    if (declaration.ValueKind != JsonValueKind.Object) throw new DecodeException("tools.functionDeclarations: each declaration must be an object", "tools");
                    tools.Add(new ToolDefinition(RequiredString(declaration, "tools.functionDeclarations", "name"), String(declaration, "description"),
                        Field(declaration, "parameters") ?? Field(declaration, "parametersJsonSchema", "parameters_json_schema")));
                }
            }
        }
        ToolChoiceSpec? mode = null;
        if (Field(root, "toolConfig", "tool_config") is { ValueKind: JsonValueKind.Object } config
            && Field(config, "functionCallingConfig", "function_calling_config") is { ValueKind: JsonValueKind.Object } calling)
        {
            var allowed = Strings(calling, "allowedFunctionNames", "allowed_function_names");
            mode = String(calling, "mode") switch
            {
                "ANY" when allowed is [var only] => new ToolChoiceSpec("tool", only),
                "ANY" => new ToolChoiceSpec("required"),
                "NONE" => new ToolChoiceSpec("none"),
                _ => new ToolChoiceSpec("auto"),
            };
        }
        return (tools, mode);
    }

    private static string TextOf(JsonElement content, string path)
        => Field(content, "parts") is { ValueKind: JsonValueKind.Array } parts
            ? string.Concat(parts.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.Object && Field(p, "text") is { ValueKind: JsonValueKind.String } t ? t.GetString() : ""))
            : throw new DecodeException($"{path}.parts: must be an array", path);

    internal static JsonElement? Field(JsonElement obj, string name, string? alias = null)
    {
        if (obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null) return value;
        if (alias is not null && obj.TryGetProperty(alias, out value) && value.ValueKind != JsonValueKind.Null) return value;
        return null;
    }

    private static string? String(JsonElement obj, string name, string? alias = null)
        => Field(obj, name, alias) is { } value ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw new DecodeException($"'{name}' must be a string.", name) : null;

    private static string RequiredString(JsonElement obj, string path, string name, string? alias = null)
        => String(obj, name, alias) ?? throw new DecodeException($"{path}.{name}: is required", $"{path}.{name}");

    private static int? PositiveInt(JsonElement obj, string name, string alias)
        => Field(obj, name, alias) is { } value
            ? value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n >= 1 ? n : throw new DecodeException($"generationConfig.{name}: must be a positive integer", name)
            : null;

    private static double? Number(JsonElement obj, string name, string? alias = null)
        => Field(obj, name, alias) is { } value
            ? value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) && double.IsFinite(d) ? d : throw new DecodeException($"generationConfig.{name}: must be a number", name)
            : null;

    private static List<string>? Strings(JsonElement obj, string name, string alias)
        => Field(obj, name, alias) is { } value
            ? value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String)
                ? value.EnumerateArray().Select(s => s.GetString()!).ToList()
                : throw new DecodeException($"{name}: must be an array of strings", name)
            : null;
}
