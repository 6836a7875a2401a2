using System.Text.Json;
using ARouter.Billing;

namespace ARouter.Dialects.OpenAi;

/// <summary>
/// The usage objects (and MiniMax's <c>base_resp</c>) inside an OpenAI-wire chunk, read by <see cref="OpenAiStreamDecoder"/>'s
/// single reader pass: each method starts on the object's start and leaves the reader on its end.
/// </summary>
internal static class OpenAiChunkUsage
{
    public static (TokenUsage? Read, (int Start, int End) Range)? Find(ref Utf8JsonReader reader)
    {
        (TokenUsage? Read, (int Start, int End) Range)? usage = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isUsage = reader.ValueTextEquals("usage"u8);
            reader.Read();
            if (isUsage) usage = reader.TokenType == JsonTokenType.StartObject ? Read(ref reader) : null;
            reader.Skip();
        }
        return usage;
    }

    public static bool BaseRespFailed(ref Utf8JsonReader reader)
    {
        var failed = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isCode = reader.ValueTextEquals("status_code"u8);
            reader.Read();
            if (isCode) failed = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var code) && code != 0;
            reader.Skip();
        }
        return failed;
    }

    /// <summary>
    /// Reads the usage object the reader is on (leaving it on its end) as <see cref="OpenAiUsage.Read"/> does, and where it
    /// sits in the chunk. DeepSeek reports cache hits at the top level rather than in <c>prompt_tokens_details</c>.
    /// </summary>
    public static (TokenUsage? Read, (int Start, int End) Range) Read(ref Utf8JsonReader reader)
    {
        var start = checked((int)reader.TokenStartIndex);
        int? prompt = null, completion = null, cached = null, cacheHits = null, reasoning = null;
        var hasPromptDetails = false;
        var hasCompletionDetails = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8)) prompt = Int(ref reader);
            else if (reader.ValueTextEquals("completion_tokens"u8)) completion = Int(ref reader);
            else if (reader.ValueTextEquals("prompt_cache_hit_tokens"u8)) cacheHits = Int(ref reader);
            else if (reader.ValueTextEquals("prompt_tokens_details"u8)) (hasPromptDetails, cached) = Detail(ref reader, "cached_tokens"u8);
            else if (reader.ValueTextEquals("completion_tokens_details"u8)) (hasCompletionDetails, reasoning) = Detail(ref reader, "reasoning_tokens"u8);
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        var end = checked((int)reader.BytesConsumed);
        if (prompt is null && completion is null) return (null, (start, end));
        if (!hasPromptDetails) cached = null;
        if (!hasCompletionDetails) reasoning = null;
        return (new TokenUsage(prompt ?? 0, completion ?? 0, cached ?? cacheHits ?? 0, reasoning ?? 0), (start, end));
    }

    private static (bool IsObject, int? Value) Detail(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return (false, null);
        }
        int? value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name)) value = Int(ref reader);
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return (true, value);
    }

    private static int? Int(ref Utf8JsonReader reader)
    {
        reader.Read();
        var value = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) ? Math.Max(0, n) : (int?)null;
        reader.Skip();
        return value;
    }
}
