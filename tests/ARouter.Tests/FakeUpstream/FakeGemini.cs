using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ARouter.Tests.FakeUpstream;

/// <summary>
/// The Gemini API as the real one answers (docs/providers.md): key in <c>x-goog-api-key</c> or <c>?key=</c>,
/// <c>:generateContent</c> and <c>:streamGenerateContent</c> (SSE with <c>alt=sse</c>, else one JSON array),
/// cumulative <c>usageMetadata</c> on every chunk, no <c>[DONE]</c>, Google's error shape.
/// </summary>
public sealed class FakeGemini(FakeProviders fakes, FakeScript script)
{
    public static readonly string[] Models = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-embedding-001"];

    public async Task HandleAsync(HttpContext context, string path, string body)
    {
        var key = context.Request.Headers["x-goog-api-key"].ToString();
        if (key.Length == 0) key = context.Request.Query["key"].ToString();
        if (key.Length == 0)
        {
            await WriteErrorAsync(context, 403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
            return;
        }
        if (key != FakeProviders.KeyFor("google"))
        {
            await WriteErrorAsync(context, 400, "API key not valid. Please pass a valid API key.", "API_KEY_INVALID");
            return;
        }
        if (script.FailStatus is { } failStatus)
        {
            await WriteErrorAsync(context, failStatus, script.FailMessage);
            return;
        }
        if (context.Request.Method == "GET" && path == "/v1beta/models")
        {
            await WriteJsonAsync(context, 200, ModelList());
            return;
        }
        var colon = path.LastIndexOf(':');
        var action = colon < 0 ? "" : path[(colon + 1)..];
        if (context.Request.Method == "POST" && action == "batchEmbedContents")
        {
            await WriteJsonAsync(context, 200, Embeddings(body));
            return;
        }
        if (context.Request.Method != "POST" || !path.StartsWith("/v1beta/models/", StringComparison.Ordinal) || action is not ("generateContent" or "streamGenerateContent"))
        {
            await WriteErrorAsync(context, 404, $"Method not found.");
            return;
        }
        var model = path["/v1beta/models/".Length..colon];

        JsonObject request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            await WriteErrorAsync(context, 400, "Invalid JSON payload received.");
            return;
        }
        if (request["contents"] is not JsonArray { Count: > 0 })
        {
            await WriteErrorAsync(context, 400, "* GenerateContentRequest.contents: contents is not specified");
            return;
        }

        if (Refusal(request) is { } refusal)
        {
            await WriteErrorAsync(context, 400, refusal);
            return;
        }
        // Thought summaries come back only when the request asks for them.
        _thoughts = script.Reasoning is not null && request["generationConfig"]?["thinkingConfig"]?["includeThoughts"]?.GetValue<bool>() == true;
        var pieces = FakeText.Split(script.Reply, action == "generateContent" ? 1 : script.Chunks).ToList();
        if (action == "generateContent") await WriteJsonAsync(context, 200, Chunk(model, script.Reply, script.CompletionTokens, last: true, first: true));
        else if (context.Request.Query["alt"] == "sse") await StreamAsync(context, model, pieces);
        else await WriteJsonAsync(context, 200, new JsonArray([.. pieces.Select((p, i) => (JsonNode)Chunk(model, p, Cumulative(i, pieces.Count), i == pieces.Count - 1, i == 0))]));
    }

    private bool _thoughts;

    public const string ThoughtSignature = "CiQB0e2Kb7yTfG0cS2Pq1nVQ9mZ3xW8h4LrK5sJ6dE7aF2bC";

    /// <summary>What the real API refuses with a 400 that a translating gateway could get wrong.</summary>
    private static string? Refusal(JsonObject request)
    {
        foreach (var content in request["contents"] as JsonArray ?? [])
        {
            if (content?["role"]?.ToString() is { } role && role is not ("user" or "model"))
                return $"Please use a valid role: user, model.";
            foreach (var part in content?["parts"] as JsonArray ?? [])
            {
                if (part?["inlineData"] is JsonObject inline && (inline["mimeType"] is null || inline["data"] is null))
                    return "* GenerateContentRequest.contents.parts.inline_data: mime_type and data are required";
            }
        }
        if (request["generationConfig"]?["thinkingConfig"] is JsonObject thinking && thinking.ContainsKey("thinkingBudget") && thinking.ContainsKey("thinkingLevel"))
            return "You can only set only one of thinking budget and thinking level.";
        foreach (var unknown in (string[])["models", "route", "provider", "messages", "model"])
            if (request.ContainsKey(unknown)) return $"Invalid JSON payload received. Unknown name \"{unknown}\": Cannot find field.";
        return null;
    }

    /// <summary>Candidates tokens so far: usage on every chunk is cumulative and reaches the full count on the last.</summary>
    private int Cumulative(int index, int count) => (int)((long)script.CompletionTokens * (index + 1) / count);

    private JsonObject Chunk(string model, string text, int candidatesTokens, bool last, bool first)
    {
        var parts = new JsonArray();
        if (first && _thoughts) parts.Add(new JsonObject { ["text"] = script.Reasoning, ["thought"] = true });
        // Gemini sends function calls whole, all in the last chunk (parallel calls are several functionCall parts).
        if (last && script.Calls.Count > 0)
            foreach (var call in script.Calls)
            {
                var part = new JsonObject { ["functionCall"] = new JsonObject { ["name"] = call.Name, ["args"] = JsonNode.Parse(call.ArgumentsJson) } };
                // Thinking models sign the first function call of a turn; the signature must come back with it.
                if (parts.Count(p => p?["functionCall"] is not null) == 0) part["thoughtSignature"] = ThoughtSignature;
                parts.Add(part);
            }
        else parts.Add(new JsonObject { ["text"] = text });
        var candidate = new JsonObject
        {
            ["content"] = new JsonObject { ["parts"] = parts, ["role"] = "model" },
            ["index"] = 0,
        };
        if (last) candidate["finishReason"] = "STOP";
        var usage = new JsonObject
        {
            ["promptTokenCount"] = script.PromptTokens,
            ["candidatesTokenCount"] = candidatesTokens,
            ["totalTokenCount"] = script.PromptTokens + candidatesTokens + script.ReasoningTokens,
            ["promptTokensDetails"] = new JsonArray(new JsonObject { ["modality"] = "TEXT", ["tokenCount"] = script.PromptTokens }),
        };
        if (script.CachedTokens > 0) usage["cachedContentTokenCount"] = script.CachedTokens;
        if (script.ReasoningTokens > 0) usage["thoughtsTokenCount"] = script.ReasoningTokens;
        return new JsonObject
        {
            ["candidates"] = new JsonArray(candidate),
            ["usageMetadata"] = usage,
            ["modelVersion"] = model,
            ["responseId"] = "fake-" + Guid.NewGuid().ToString("n")[..16],
        };
    }

    private async Task StreamAsync(HttpContext context, string model, List<string> pieces)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        fakes.StreamOpened();
        try
        {
            await context.Response.StartAsync(context.RequestAborted);
            for (var i = 0; i < pieces.Count; i++)
            {
                if (i > 0 && script.ChunkDelay > TimeSpan.Zero) await Task.Delay(script.ChunkDelay, context.RequestAborted);
                var chunk = Chunk(model, pieces[i], Cumulative(i, pieces.Count), i == pieces.Count - 1, i == 0);
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("data: " + chunk.ToJsonString() + "\r\n\r\n"), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                if (i + 1 == script.ErrorEventAfterChunks)
                {
                    // A failure after the stream began arrives as an error object in the stream, then the stream ends.
                    await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes("data: " + ErrorBody(503, "The model is overloaded. Please try again later.").ToJsonString() + "\r\n\r\n"), context.RequestAborted);
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            fakes.StreamClosed(context.RequestAborted.IsCancellationRequested);
        }
    }

    /// <summary><c>batchEmbedContents</c>: one vector per request, and — as the real API — no token usage.</summary>
    private static JsonObject Embeddings(string body)
    {
        var requests = (JsonNode.Parse(body)?["requests"] as JsonArray)?.Count ?? 0;
        var embeddings = new JsonArray();
        for (var i = 0; i < requests; i++)
            embeddings.Add(new JsonObject { ["values"] = new JsonArray([.. Enumerable.Range(0, 8).Select(d => (JsonNode?)(float)Math.Cos(i + d))]) });
        return new JsonObject { ["embeddings"] = embeddings };
    }

    private static JsonObject ModelList()
    {
        var models = new JsonArray();
        foreach (var id in Models)
            models.Add(new JsonObject
            {
                ["name"] = "models/" + id,
                ["version"] = "001",
                ["displayName"] = id,
                ["inputTokenLimit"] = 1_048_576,
                ["outputTokenLimit"] = 65_536,
                ["supportedGenerationMethods"] = id.Contains("embedding") ? new JsonArray("embedContent") : new JsonArray("generateContent", "countTokens"),
            });
        return new JsonObject { ["models"] = models };
    }

    public static string Status(int code) => code switch
    {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    };

    public static JsonObject ErrorBody(int code, string message, string? reason = null)
    {
        var error = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = Status(code) };
        if (reason is not null)
            error["details"] = new JsonArray(new JsonObject { ["@type"] = "type.googleapis.com/google.rpc.ErrorInfo", ["reason"] = reason, ["domain"] = "googleapis.com" });
        return new JsonObject { ["error"] = error };
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string message, string? reason = null) => WriteJsonAsync(context, status, ErrorBody(status, message, reason));

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}
