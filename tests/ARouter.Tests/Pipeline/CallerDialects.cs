using System.Text.Json;
using ARouter.Dialects.Canonical;
using ARouter.Tests.Endpoints;

namespace ARouter.Tests.Pipeline;

/// <summary>What a caller saw, whatever dialect it spoke: status, the model that answered, the generation id, the cost, an error.</summary>
public sealed record CallerAnswer(int Status, string? Model, string? GenerationId, decimal? Cost, string? Error, bool CleanEnd, int ContentEvents);

/// <summary>
/// Chat requests as each dialect's SDK sends them (OpenAI <c>/v1/chat/completions</c>, Anthropic <c>/v1/messages</c>,
/// Gemini <c>/v1beta/models/{model}:generateContent</c>), and their answers — whole or streamed — read back the same way.
/// </summary>
public static class CallerDialects
{
    public static readonly TheoryData<CallerDialect, bool> AllCallersStreamingAndNot = new()
    {
        { CallerDialect.OpenAi, false }, { CallerDialect.OpenAi, true }, { CallerDialect.Anthropic, false }, { CallerDialect.Anthropic, true }, { CallerDialect.Gemini, false }, { CallerDialect.Gemini, true },
    };

    /// <param name="models">The model, then fallbacks (OpenRouter's <c>models</c>, which every dialect may carry).</param>
    public static HttpRequestMessage Request(CallerDialect caller, string key, IReadOnlyList<string> models, bool stream, int maxTokens = 100, string prompt = "Say hello.")
    {
        var fields = new Dictionary<string, object?> { ["models"] = models.Skip(1).ToArray() };
        if (caller == CallerDialect.Gemini) fields["contents"] = new[] { new { role = "user", parts = new[] { new { text = prompt } } } };
        else fields["messages"] = new[] { new { role = "user", content = prompt } };
        return DialectCalls.Request(caller, models[0], DialectCalls.Body(caller, models[0], stream, maxTokens, fields), stream, key);
    }

    public static async Task<CallerAnswer> SendAsync(GatewayHost gateway, CallerDialect caller, string key, IReadOnlyList<string> models, bool stream, int maxTokens = 100)
    {
        using var request = Request(caller, key, models, stream, maxTokens);
        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return await ReadAsync(caller, response);
    }

    public static async Task<CallerAnswer> ReadAsync(CallerDialect caller, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var isStream = response.Content.Headers.ContentType?.MediaType == "text/event-stream";
        if (!isStream)
        {
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var root = document.RootElement;
            if (status != 200) return new CallerAnswer(status, null, null, null, ErrorOf(root), false, 0);
            return caller switch
            {
                CallerDialect.Gemini => new CallerAnswer(status, Str(root, "modelVersion"), Str(root, "responseId"), root.GetProperty("usageMetadata").GetProperty("cost").GetDecimal(), null, true, 1),
                _ => new CallerAnswer(status, Str(root, "model"), Str(root, "id"), root.GetProperty("usage").GetProperty("cost").GetDecimal(), null, true, 1),
            };
        }

        var events = await GatewayWithFakes.ReadSseAsync(response);
        string? model = null, id = null, error = null;
        decimal? cost = null;
        var content = 0;
        var clean = caller == CallerDialect.OpenAi ? events.Count > 0 && events[^1] == "[DONE]" : false;
        foreach (var data in events)
        {
            if (data == "[DONE]") continue;
            using var document = JsonDocument.Parse(data);
            var root = document.RootElement;
            if (root.TryGetProperty("error", out _) && (caller != CallerDialect.Anthropic || Str(root, "type") == "error"))
            {
                error = ErrorOf(root);
                continue;
            }
            switch (caller)
            {
                case CallerDialect.Anthropic:
                    var type = Str(root, "type");
                    if (type == "message_start")
                    {
                        model = Str(root.GetProperty("message"), "model");
                        id = Str(root.GetProperty("message"), "id");
                    }
                    if (type == "content_block_delta") content++;
                    if (type == "message_delta" && root.TryGetProperty("usage", out var usage) && usage.TryGetProperty("cost", out var c)) cost = c.GetDecimal();
                    if (type == "message_stop") clean = true;
                    break;
                case CallerDialect.Gemini:
                    model ??= Str(root, "modelVersion");
                    id ??= Str(root, "responseId");
                    if (root.TryGetProperty("usageMetadata", out var meta) && meta.TryGetProperty("cost", out var gc)) cost = gc.GetDecimal();
                    else content++;
                    break;
                default:
                    model ??= Str(root, "model");
                    id ??= Str(root, "id");
                    if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object && u.TryGetProperty("cost", out var oc)) cost = oc.GetDecimal();
                    else content++;
                    break;
            }
        }
        if (caller == CallerDialect.Gemini) clean = error is null && cost is not null;
        return new CallerAnswer(status, model, id, cost, error, clean && error is null, content);
    }

    private static string? ErrorOf(JsonElement root) => root.TryGetProperty("error", out var e)
        ? e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) ? m.GetString() : e.ToString()
        : null;

    private static string? Str(JsonElement element, string name) => element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The account's charge transactions, newest first.</summary>
    public static async Task<List<JsonElement>> ChargesAsync(GatewayHost gateway, string key)
    {
        var (status, json) = await gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/transactions?limit=100", key);
        Assert.Equal(200, status);
        return [.. json.GetProperty("data").EnumerateArray().Where(t => t.GetProperty("type").GetString() == "charge")];
    }

    public static async Task<JsonElement> GenerationAsync(GatewayHost gateway, string key, string id)
    {
        var (status, json) = await gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + id, key);
        Assert.Equal(200, status);
        return json.GetProperty("data");
    }

    /// <summary>Polls until <paramref name="condition"/> holds, for effects that land after the response (a charge, a cancelled upstream call).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail($"Within 10 s: {what}.");
    }
}
