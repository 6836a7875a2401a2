using System.Text.Json;
using System.Text.RegularExpressions;
using ARouter.Billing;
using ARouter.Endpoints;
using CommunityToolkit.HighPerformance;
using Microsoft.AspNetCore.Http;

namespace ARouter.Passthrough;

/// <summary>What the gateway needs from a native request to size its worst case: the model and the output cap.</summary>
/// <param name="Prompt">The whole body's size in tokens: its bytes at once, counted only when billing needs it (the bytes live until the response ends).</param>
public sealed record PassthroughRequestFacts(string? Model, int? MaxOutputTokens, PromptSize Prompt);

/// <summary>
/// Reads a JSON request body once (within the body limit), notes the model and the output cap wherever the
/// provider's API puts them, and puts the bytes back so the forwarder sends them unchanged. Other bodies
/// (multipart uploads, binary) are not read: they stream through and get the default reservation.
/// </summary>
public static partial class PassthroughRequestBody
{
    /// <summary>Above this, counting tokens costs more than it is worth; bytes / 3 over-estimates o200k for text.</summary>
    private const int CountedBytesLimit = 256 * 1024;

    public static async Task<PassthroughRequestFacts> InspectAsync(HttpContext http, string remainder, TokenEstimator tokens, GatewayOptions options)
    {
        var pathModel = ModelInPath().Match(Uri.UnescapeDataString(remainder)) is { Success: true } match ? match.Groups[1].Value : null;
        var request = http.Request;
        if (!HttpMethods.IsPost(request.Method) && !HttpMethods.IsPut(request.Method) && !HttpMethods.IsPatch(request.Method)) return new(pathModel, null, PromptSize.Known(0));
        if (request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) != true) return new(pathModel, null, PromptSize.Known(0));

        var buffer = await JsonBodyReader.ReadBytesAsync(http, options.MaxRequestBodyBytes);
        // The forwarder reads the body from the pooled bytes; they go back to the pool when the response is done.
        http.Response.RegisterForDispose(buffer);
        var body = buffer.WrittenMemory;
        var stream = body.AsStream();
        request.Body = stream;
        http.Response.RegisterForDispose(stream);

        var prompt = body.Length <= CountedBytesLimit ? tokens.Measure(body) : PromptSize.Known(body.Length / 3);
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = options.MaxJsonDepth });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new(pathModel, null, prompt);
            var model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            int? max = Int(root, "max_tokens") ?? Int(root, "max_completion_tokens") ?? Int(root, "max_output_tokens");
            if (root.TryGetProperty("generationConfig", out var config) && config.ValueKind == JsonValueKind.Object) max ??= Int(config, "maxOutputTokens");
            return new(string.IsNullOrWhiteSpace(model) ? pathModel : model, max, prompt);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // The provider will answer a malformed body (or a model name that is not valid text) with its own 400; that costs nothing.
            return new(pathModel, null, prompt);
        }
    }

    private static int? Int(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n > 0 ? n : null;

    /// <summary>Gemini names the model in the path: <c>/v1beta/models/{model}:generateContent</c>.</summary>
    [GeneratedRegex(@"/models/([^/:?]+):", RegexOptions.CultureInvariant)]
    private static partial Regex ModelInPath();
}
