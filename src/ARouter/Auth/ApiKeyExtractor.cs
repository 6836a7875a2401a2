using Microsoft.AspNetCore.Http;

namespace ARouter.Auth;

/// <summary>The four places an SDK puts the key: Bearer (OpenAI), X-Api-Key (Anthropic), x-goog-api-key or ?key= (Gemini).</summary>
public static class ApiKeyExtractor
{
    /// <summary>The presented key, trimmed, as a view of the header or query value it came in (no copy of the secret).</summary>
    public static bool TryExtract(HttpRequest request, out ReadOnlySpan<char> key)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 0)
        {
            var value = authorization[0].AsSpan().Trim();
            if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                key = value[7..].Trim();
                return true;
            }
        }
        if (request.Headers.TryGetValue("x-api-key", out var apiKey) && NotBlank(apiKey, out key)) return true;
        if (request.Headers.TryGetValue("x-goog-api-key", out var googKey) && NotBlank(googKey, out key)) return true;
        if (request.Query.TryGetValue("key", out var queryKey) && NotBlank(queryKey, out key)) return true;
        key = default;
        return false;
    }

    private static bool NotBlank(Microsoft.Extensions.Primitives.StringValues values, out ReadOnlySpan<char> key)
    {
        key = values.Count > 0 ? values[0].AsSpan().Trim() : default;
        return !key.IsEmpty;
    }
}
