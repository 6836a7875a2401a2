using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects.OpenAi;

namespace ARouter.Passthrough;

/// <summary>
/// Collects the usage and model a provider reports in its own wire format, one JSON object (a body or an
/// SSE event) at a time. OpenAI-wire: the last non-null <c>usage</c> wherever the vendor puts it, also the
/// Responses API shape. Anthropic: input and cache counts from <c>message_start</c>, cumulative output from
/// the last <c>message_delta</c>. Gemini: the last <c>usageMetadata</c>, which is cumulative.
/// </summary>
public sealed class NativeUsage(WireDialect dialect)
{
    private int? _input;
    private int _cacheRead;
    private int _cacheWrite;
    private int _output;
    private TokenUsage? _reported;
    private readonly StringBuilder _generated = new();

    /// <summary>Streamed text kept for counting is capped; past it only characters are counted.</summary>
    public const int MaxKeptChars = 256 * 1024;

    public string? Model { get; private set; }

    /// <summary>Text streamed so far (up to <see cref="MaxKeptChars"/>), to count output when a stream ends before its usage.</summary>
    public string GeneratedText => _generated.ToString();
    public long UncountedChars { get; private set; }

    public TokenUsage? Usage => dialect == WireDialect.Anthropic
        ? (_input is { } input ? new TokenUsage(input + _cacheRead + _cacheWrite, _output, _cacheRead, 0, _cacheWrite) : null)
        : _reported;

    public void Observe(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            // Gemini's :streamGenerateContent without alt=sse answers with one JSON array of chunks.
            foreach (var item in root.EnumerateArray()) Observe(item);
            return;
        }
        if (root.ValueKind != JsonValueKind.Object) return;
        switch (dialect)
        {
            case WireDialect.Anthropic: ObserveAnthropic(root); break;
            case WireDialect.Gemini: ObserveGemini(root); break;
            default: ObserveOpenAi(root); break;
        }
    }

    /// <summary>A usage object found on its own (the tail of a body too large to parse whole).</summary>
    public void ObserveUsageObject(string name, JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object) return;
        if (dialect == WireDialect.Gemini && name == "usageMetadata") _reported = ReadGemini(usage) ?? _reported;
        else if (dialect == WireDialect.Anthropic && name == "usage") ReadAnthropic(usage);
        else if (dialect == WireDialect.OpenAi && name == "usage") _reported = ReadOpenAi(usage) ?? _reported;
    }

    public void ObserveModel(string? model) => Model ??= string.IsNullOrWhiteSpace(model) ? null : model;

    private void ObserveOpenAi(JsonElement root)
    {
        ObserveModel(String(root, "model"));
        var text = new StringBuilder();
        OpenAiStreamText.AppendChunkText(root, text);
        Keep(text.ToString());
        if (OpenAiUsage.TryFind(root, out var usage) && ReadOpenAi(usage) is { } found) _reported = found;
        // Responses API stream: {"type":"response.completed","response":{"model":…,"usage":{…}}}
        if (root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
        {
            ObserveModel(String(response, "model"));
            if (response.TryGetProperty("usage", out var nested) && ReadOpenAi(nested) is { } inner) _reported = inner;
        }
    }

    /// <summary>Chat Completions' <c>prompt_tokens</c> shape, else the Responses API's <c>input_tokens</c> shape.</summary>
    private static TokenUsage? ReadOpenAi(JsonElement usage)
    {
        if (OpenAiUsage.Read(usage) is { } chat) return chat;
        if (usage.ValueKind != JsonValueKind.Object) return null;
        var input = Int(usage, "input_tokens");
        var output = Int(usage, "output_tokens");
        if (input is null && output is null) return null;
        var cached = usage.TryGetProperty("input_tokens_details", out var id) && id.ValueKind == JsonValueKind.Object ? Int(id, "cached_tokens") : null;
        var reasoning = usage.TryGetProperty("output_tokens_details", out var od) && od.ValueKind == JsonValueKind.Object ? Int(od, "reasoning_tokens") : null;
        return new TokenUsage(input ?? 0, output ?? 0, cached ?? 0, reasoning ?? 0);
    }

    private void ObserveAnthropic(JsonElement root)
    {
        var type = String(root, "type");
        if (type == "message_start" && root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
        {
            ObserveModel(String(message, "model"));
            if (message.TryGetProperty("usage", out var startUsage)) ReadAnthropic(startUsage);
        }
        else if (type == "content_block_delta" && root.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
        {
            Keep(String(delta, "text") ?? String(delta, "thinking") ?? String(delta, "partial_json"));
        }
        else if (type is "message" or "message_delta")
        {
            ObserveModel(String(root, "model"));
            if (root.TryGetProperty("usage", out var usage)) ReadAnthropic(usage);
        }
    }

    /// <summary>Later events repeat or grow the counts (output is cumulative), so a present field replaces the one before.</summary>
    private void ReadAnthropic(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object) return;
        if (Int(usage, "input_tokens") is { } input) _input = input;
        if (Int(usage, "cache_read_input_tokens") is { } read) { _cacheRead = read; _input ??= 0; }
        if (Int(usage, "cache_creation_input_tokens") is { } write) { _cacheWrite = write; _input ??= 0; }
        if (Int(usage, "output_tokens") is { } output) { _output = output; _input ??= 0; }
    }

    private void ObserveGemini(JsonElement root)
    {
        ObserveModel(String(root, "modelVersion"));
        if (root.TryGetProperty("candidates", out var candidates) && candidates.ValueKind == JsonValueKind.Array)
        {
            foreach (var candidate in candidates.EnumerateArray())
            {
                if (candidate.ValueKind != JsonValueKind.Object || !candidate.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Object) continue;
                if (!content.TryGetProperty("parts", out var parts) || parts.ValueKind != JsonValueKind.Array) continue;
                foreach (var part in parts.EnumerateArray())
                    if (part.ValueKind == JsonValueKind.Object) Keep(String(part, "text"));
            }
        }
        if (root.TryGetProperty("usageMetadata", out var usage) && ReadGemini(usage) is { } found) _reported = found;
    }

    /// <summary><c>promptTokenCount</c> includes the cached tokens; thoughts are billed as output but are not in <c>candidatesTokenCount</c>.</summary>
    private static TokenUsage? ReadGemini(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object) return null;
        var prompt = Int(usage, "promptTokenCount");
        var candidates = Int(usage, "candidatesTokenCount");
        var thoughts = Int(usage, "thoughtsTokenCount") ?? 0;
        if (prompt is null && candidates is null && thoughts == 0) return null;
        return new TokenUsage(prompt ?? 0, (candidates ?? 0) + thoughts, Int(usage, "cachedContentTokenCount") ?? 0, thoughts);
    }

    private void Keep(string? text)
    {
        if (string.IsNullOrEmpty(text)) return;
        var room = MaxKeptChars - _generated.Length;
        if (room >= text.Length) _generated.Append(text);
        else
        {
            _generated.Append(text.AsSpan(0, Math.Max(0, room)));
            UncountedChars += text.Length - Math.Max(0, room);
        }
    }

    private static string? String(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? Math.Max(0, n) : null;
}
