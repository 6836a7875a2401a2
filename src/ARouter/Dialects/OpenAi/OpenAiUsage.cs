using System.Text.Json;
using ARouter.Billing;

namespace ARouter.Dialects.OpenAi;

/// <summary>Reads and writes the OpenAI <c>usage</c> object, where the gateway adds <c>cost</c> in USD.</summary>
public static class OpenAiUsage
{
    public static TokenUsage? Read(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object) return null;
        var prompt = Int(usage, "prompt_tokens");
        var completion = Int(usage, "completion_tokens");
        if (prompt is null && completion is null) return null;
        var cached = usage.TryGetProperty("prompt_tokens_details", out var pd) && pd.ValueKind == JsonValueKind.Object ? Int(pd, "cached_tokens") : null;
        // DeepSeek reports cache hits at the top level rather than in prompt_tokens_details.
        cached ??= Int(usage, "prompt_cache_hit_tokens");
        var reasoning = usage.TryGetProperty("completion_tokens_details", out var cd) && cd.ValueKind == JsonValueKind.Object ? Int(cd, "reasoning_tokens") : null;
        return new TokenUsage(prompt ?? 0, completion ?? 0, cached ?? 0, reasoning ?? 0);
    }

    /// <summary>Finds usage wherever an OpenAI-compatible vendor put it: top level, <c>choices[0].usage</c> (Moonshot) or <c>x_groq.usage</c>.</summary>
    public static bool TryFind(JsonElement chunk, out JsonElement usage)
    {
        if (chunk.TryGetProperty("usage", out usage) && usage.ValueKind == JsonValueKind.Object) return true;
        if (chunk.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
                if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("usage", out usage) && usage.ValueKind == JsonValueKind.Object) return true;
        }
        if (chunk.TryGetProperty("x_groq", out var groq) && groq.ValueKind == JsonValueKind.Object && groq.TryGetProperty("usage", out usage) && usage.ValueKind == JsonValueKind.Object) return true;
        usage = default;
        return false;
    }

    /// <summary>Copies the provider's usage object (when there is one) and appends the gateway's cost.</summary>
    public static void Write(Utf8JsonWriter json, JsonElement? upstreamUsage, TokenUsage usage, decimal cost)
    {
        if (upstreamUsage is { ValueKind: JsonValueKind.Object } original)
        {
            UsageWithCost.Write(json, "usage", original, cost);
            return;
        }
        json.WriteStartObject("usage");
        WriteCounts(json, usage);
        json.WriteNumber("cost", cost);
        json.WriteEndObject();
    }

    /// <summary>The gateway's own counts in OpenAI's shape, details included.</summary>
    public static void WriteCounts(Utf8JsonWriter json, TokenUsage usage)
    {
        json.WriteNumber("prompt_tokens", usage.PromptTokens);
        json.WriteNumber("completion_tokens", usage.CompletionTokens);
        json.WriteNumber("total_tokens", usage.TotalTokens);
        json.WriteStartObject("prompt_tokens_details");
        json.WriteNumber("cached_tokens", usage.CachedPromptTokens);
        json.WriteEndObject();
        json.WriteStartObject("completion_tokens_details");
        json.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
        json.WriteEndObject();
    }

    private static int? Int(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? Math.Max(0, n) : null;
}
