using Microsoft.AspNetCore.Http;

namespace ARouter.Auth;

/// <summary>The four places an SDK puts the key: Bearer (OpenAI), X-Api-Key (Anthropic), x-goog-api-key or ?key= (Gemini).</summary>
public static class ApiKeyExtractor
{
    public static string? Extract(HttpRequest request)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 0)
        {
            var value = authorization[0].AsSpan().Trim();
            if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                return value[7..].Trim().ToString();
        }
        if (request.Headers.TryGetValue("x-api-key", out var apiKey) && apiKey.Count > 0 && !string.IsNullOrWhiteSpace(apiKey[0]))
            return apiKey[0]!.Trim();
        if (request.Headers.TryGetValue("x-goog-api-key", out var googKey) && googKey.Count > 0 && !string.IsNullOrWhiteSpace(googKey[0]))
            return googKey[0]!.Trim();
        if (request.Query.TryGetValue("key", out var queryKey) && queryKey.Count > 0 && !string.IsNullOrWhiteSpace(queryKey[0]))
            return queryKey[0]!.Trim();
        return null;
    }
}
