using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ARouter.Dialects.Canonical;

namespace ARouter.Upstream;

/// <summary>
/// Turns a provider's non-2xx answer into the gateway's error: the caller's own mistakes (4xx) keep
/// their status and the provider's message; our key being refused, or the provider failing, is a 502
/// that names the upstream status and message.
/// </summary>
public static partial class UpstreamErrorMapper
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

    /// <summary>A streaming request answered with one JSON body instead of events is a failure (MiniMax does this with <c>base_resp</c>).</summary>
    public static async Task<GatewayError> MapJsonInsteadOfStreamAsync(string provider, HttpResponseMessage response, CancellationToken ct)
    {
        var body = await ReadPrefixAsync(response, ct);
        try
        {
            using var document = JsonDocument.Parse(body);
            if (FromSuccessBody(provider, document.RootElement) is { } error) return error;
        }
        catch (JsonException)
        {
        }
        return new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{provider}' answered a streaming request with a single JSON body: {ExtractMessage(body) ?? "empty"}");
    }

    /// <summary>
    /// Some providers report failure inside a 200 body: MiniMax's <c>base_resp</c> with a non-zero
    /// <c>status_code</c>, or an <c>error</c> object where the choices should be. Such a call failed and costs nothing.
    /// </summary>
    public static GatewayError? FromSuccessBody(string provider, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return null;
        if (root.TryGetProperty("base_resp", out var baseResp) && baseResp.ValueKind == JsonValueKind.Object
            && baseResp.TryGetProperty("status_code", out var codeElement) && codeElement.TryGetInt32(out var code) && code != 0)
        {
            var message = Clip(baseResp.TryGetProperty("status_msg", out var m) ? m.ToString() : null) ?? "no message";
            var detail = $"Provider '{provider}' returned error {code}: {message}";
            return code switch
            {
                // MiniMax codes: 1002 rate limited, 1004/2049 key refused, 1008 out of balance, 1039 token limit, 2013 invalid parameters.
                1002 => new GatewayError(ErrorStage.UpstreamRefused, 429, detail) { RetryAfterSeconds = 1 },
                1004 or 2049 or 1008 => new GatewayError(ErrorStage.UpstreamRefused, 502, detail),
                1039 or 2013 => new GatewayError(ErrorStage.UpstreamRefused, 400, detail),
                _ => new GatewayError(ErrorStage.UpstreamFailed, 502, detail),
            };
        }
        if (root.TryGetProperty("error", out var error) && error.ValueKind is JsonValueKind.Object or JsonValueKind.String && !root.TryGetProperty("choices", out _))
            return new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{provider}' reported an error: {ExtractMessage(JsonMarshal.GetRawUtf8Value(root)) ?? "no message"}");
        return null;
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
        text = KeyLike().Replace(text.Trim(), "[redacted]");
        return text.Length <= MaxMessage ? text : text[..MaxMessage] + "…";
    }

    /// <summary>
    /// Providers echo the key they were given, masked or not ("Incorrect API key provided: sk-ab***xyz").
    /// Even a fragment of the gateway's provider key must not reach a caller, so anything shaped like a key goes.
    /// </summary>
    [GeneratedRegex(@"\b(?:sk|pk|rk|xai|nvapi|gsk|AIza|lr_live|lr_test|key|api[_-]?key)[-_][A-Za-z0-9*._\-]{2,}|\b[A-Za-z0-9_\-]{32,}\b|[^\s""']*\*{3,}[^\s""',]*", RegexOptions.CultureInvariant)]
    private static partial Regex KeyLike();
}
