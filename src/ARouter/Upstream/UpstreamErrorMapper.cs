using System.Net;
using System.Text;
using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Upstream;

/// <summary>
/// Turns a provider's non-2xx answer into the gateway's error: the caller's own mistakes (4xx) keep
/// their status and the provider's message; our key being refused, or the provider failing, is a 502
/// that names the upstream status and message.
/// </summary>
public static class UpstreamErrorMapper
{
    private const int MaxErrorBody = 64 * 1024;
    private const int MaxMessage = 1_000;

    public static async Task<GatewayError> MapAsync(string provider, HttpResponseMessage response, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var message = ExtractMessage(await ReadPrefixAsync(response, ct)) ?? response.ReasonPhrase ?? "no message";
        var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? (int?)Math.Ceiling(delta.TotalSeconds) : null;

        return status switch
        {
            (int)HttpStatusCode.Unauthorized or (int)HttpStatusCode.Forbidden or (int)HttpStatusCode.PaymentRequired =>
                new GatewayError(ErrorStage.UpstreamRefused, 502, $"Provider '{provider}' refused the gateway's credentials ({status}): {message}"),
            (int)HttpStatusCode.TooManyRequests =>
                new GatewayError(ErrorStage.UpstreamRefused, 429, $"Provider '{provider}' is rate limiting ({status}): {message}") { RetryAfterSeconds = retryAfter ?? 1 },
            (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.GatewayTimeout =>
                new GatewayError(ErrorStage.UpstreamTimeout, 504, $"Provider '{provider}' timed out ({status}): {message}"),
            >= 400 and < 500 => new GatewayError(ErrorStage.UpstreamRefused, status, $"Provider '{provider}' rejected the request ({status}): {message}"),
            _ => new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{provider}' failed ({status}): {message}"),
        };
    }

    private static async Task<byte[]> ReadPrefixAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[MaxErrorBody];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct)) > 0) total += read;
            return buffer[..total];
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return [];
        }
    }

    /// <summary>Finds the message in the error shapes providers use: OpenAI's, Mistral's, Anthropic's, Google's, FastAPI's.</summary>
    internal static string? ExtractMessage(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty) return null;
        try
        {
            using var document = JsonDocument.Parse(body.ToArray());
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("error", out var error))
                {
                    if (error.ValueKind == JsonValueKind.String) return Clip(error.GetString());
                    if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var nested)) return Clip(nested.ToString());
                }
                foreach (var name in (string[])["message", "detail", "msg", "error_msg"])
                    if (root.TryGetProperty(name, out var value)) return Clip(value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText());
            }
            return Clip(root.GetRawText());
        }
        catch (JsonException)
        {
            return Clip(Encoding.UTF8.GetString(body));
        }
    }

    private static string? Clip(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        text = text.Trim();
        return text.Length <= MaxMessage ? text : text[..MaxMessage] + "…";
    }
}
