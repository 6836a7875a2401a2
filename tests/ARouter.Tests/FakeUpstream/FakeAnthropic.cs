using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace ARouter.Tests.FakeUpstream;

/// <summary>
/// Anthropic's native Messages API as the real one answers (docs/providers.md): <c>x-api-key</c> plus a
/// required <c>anthropic-version</c>, <c>max_tokens</c> required, usage with <c>input_tokens</c> that exclude
/// cache reads, and a stream of named events — message_start, content blocks, ping, message_delta with the
/// cumulative output count, message_stop — with no <c>[DONE]</c>.
/// </summary>
public sealed class FakeAnthropic(FakeProviders fakes, FakeScript script)
{
    private readonly string _id = "msg_01" + Guid.NewGuid().ToString("n")[..22];

    public static readonly string[] Models = ["claude-sonnet-4-6", "claude-opus-4-8", "claude-haiku-4-5"];

    public async Task HandleAsync(HttpContext context, string path, string body)
    {
        var key = context.Request.Headers["x-api-key"].ToString();
        if (key != FakeProviders.KeyFor("anthropic"))
        {
            await WriteErrorAsync(context, 401, key.Length == 0 ? "x-api-key header is required" : "invalid x-api-key");
            return;
        }
        if (string.IsNullOrEmpty(context.Request.Headers["anthropic-version"].ToString()))
        {
            await WriteErrorAsync(context, 400, "anthropic-version: header is required");
            return;
        }
        if (script.FailStatus is { } failStatus)
        {
            if (failStatus == 429) context.Response.Headers.RetryAfter = "7";
            await WriteErrorAsync(context, failStatus, script.FailMessage);
            return;
        }
        if (context.Request.Method == "GET" && path == "/v1/models")
        {
            await WriteJsonAsync(context, 200, ModelList());
            return;
        }
        if (context.Request.Method != "POST" || path != "/v1/messages")
        {
            await WriteErrorAsync(context, 404, "Not found");
            return;
        }

        JsonObject request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            await WriteErrorAsync(context, 400, "There was an error parsing the body of your request.");
            return;
        }
        foreach (var required in (string[])["model", "max_tokens", "messages"])
        {
            if (request[required] is not null) continue;
            await WriteErrorAsync(context, 400, $"{required}: Field required");
            return;
        }
        if (Refusal(request) is { } refusal)
        {
            await WriteErrorAsync(context, 400, refusal);
            return;
        }
        var model = request["model"]!.ToString();
        if (request["stream"]?.GetValue<bool>() == true) await StreamAsync(context, model);
        else await WriteJsonAsync(context, 200, Message(model));
    }

    /// <summary>What the real Messages API refuses with a 400 that a translating gateway could get wrong.</summary>
    private static string? Refusal(JsonObject request)
    {
        if (request["messages"] is not JsonArray messages) return "messages: Input should be a valid list";
        foreach (var message in messages)
        {
            foreach (var block in message?["content"] as JsonArray ?? [])
            {
                var type = block?["type"]?.ToString();
                if (type == "thinking" && string.IsNullOrEmpty(block?["signature"]?.ToString())) return "messages: Invalid `signature` in `thinking` block";
                if (type is "document" or "image" && block?["source"]?["type"]?.ToString() is not ("base64" or "url" or "text" or "file"))
                    return $"messages: {type}.source: Input tag does not match any of the expected tags: 'base64', 'url', 'file'";
                if (type == "document" && block?["source"]?["type"]?.ToString() == "base64" && block["source"]?["media_type"]?.ToString() != "application/pdf")
                    return "messages: document.source.media_type: Input should be 'application/pdf'";
            }
        }
        if (request["thinking"] is JsonObject { } thinking && thinking["type"]?.ToString() == "enabled")
        {
            var budget = thinking["budget_tokens"]?.GetValue<int>() ?? 0;
            if (budget < 1024) return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024";
            if (budget >= request["max_tokens"]!.GetValue<int>()) return "`max_tokens` must be greater than `thinking.budget_tokens`.";
        }
        if (request["output_config"]?["format"] is JsonObject { } format && (format["type"]?.ToString() != "json_schema" || format["schema"] is not JsonObject))
            return "output_config.format: Input tag does not match any of the expected tags: 'json_schema'";
        if (request.ContainsKey("response_format")) return "response_format: Extra inputs are not permitted";
        return null;
    }

    private JsonObject Usage(int outputTokens) => new()
    {
        // Anthropic's input_tokens count only what was neither read from nor written to the cache.
        ["input_tokens"] = script.PromptTokens - script.CachedTokens,
        ["cache_creation_input_tokens"] = 0,
        ["cache_read_input_tokens"] = script.CachedTokens,
        ["output_tokens"] = outputTokens,
    };

    private JsonObject Message(string model) => new()
    {
        ["id"] = _id,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = model,
        ["content"] = Content(),
        ["stop_reason"] = script.Calls.Count == 0 ? "end_turn" : "tool_use",
        ["stop_sequence"] = null,
        ["usage"] = Usage(script.CompletionTokens),
    };

    private string ToolId(int index) => $"toolu_{index}_{_id[^10..]}";

    private JsonArray Content()
    {
        var content = new JsonArray();
        if (script.Reasoning is { } reasoning) content.Add(new JsonObject { ["type"] = "thinking", ["thinking"] = reasoning, ["signature"] = script.ReasoningSignature });
        for (var i = 0; i < script.Calls.Count; i++)
            content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = ToolId(i), ["name"] = script.Calls[i].Name, ["input"] = JsonNode.Parse(script.Calls[i].ArgumentsJson) });
        if (script.Calls.Count == 0) content.Add(new JsonObject { ["type"] = "text", ["text"] = script.Reply });
        return content;
    }

    private async Task StreamAsync(HttpContext context, string model)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        fakes.StreamOpened();
        try
        {
            await context.Response.StartAsync(context.RequestAborted);
            var start = Message(model);
            start["content"] = new JsonArray();
            start["stop_reason"] = null;
            start["usage"] = Usage(1);
            await WriteEventAsync(context, "message_start", new JsonObject { ["type"] = "message_start", ["message"] = start });
            var block = 0;
            if (script.Reasoning is { } reasoning)
            {
                // A thinking block streams its text as thinking_delta and closes with its signature (signature_delta).
                await WriteEventAsync(context, "content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = block, ["content_block"] = new JsonObject { ["type"] = "thinking", ["thinking"] = "", ["signature"] = "" } });
                foreach (var piece in FakeText.Split(reasoning, script.Chunks))
                    await WriteEventAsync(context, "content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = block, ["delta"] = new JsonObject { ["type"] = "thinking_delta", ["thinking"] = piece } });
                await WriteEventAsync(context, "content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = block, ["delta"] = new JsonObject { ["type"] = "signature_delta", ["signature"] = script.ReasoningSignature } });
                await WriteEventAsync(context, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = block++ });
            }
            if (script.Calls.Count > 0)
            {
                // Each tool call streams as its own tool_use block, one after the other, its input as partial JSON.
                for (var i = 0; i < script.Calls.Count; i++, block++)
                {
                    await WriteEventAsync(context, "content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = block, ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = ToolId(i), ["name"] = script.Calls[i].Name, ["input"] = new JsonObject() } });
                    foreach (var piece in FakeText.Split(script.Calls[i].ArgumentsJson, script.Chunks))
                        await WriteEventAsync(context, "content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = block, ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = piece } });
                    await WriteEventAsync(context, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = block });
                }
                await WriteEventAsync(context, "message_delta", new JsonObject
                {
                    ["type"] = "message_delta",
                    ["delta"] = new JsonObject { ["stop_reason"] = "tool_use", ["stop_sequence"] = null },
                    ["usage"] = new JsonObject { ["output_tokens"] = script.CompletionTokens },
                });
                await WriteEventAsync(context, "message_stop", new JsonObject { ["type"] = "message_stop" });
                return;
            }
            await WriteEventAsync(context, "content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = block, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } });
            await WriteEventAsync(context, "ping", new JsonObject { ["type"] = "ping" });
            var sent = 0;
            foreach (var piece in FakeText.Split(script.Reply, script.Chunks))
            {
                if (sent > 0 && script.ChunkDelay > TimeSpan.Zero) await Task.Delay(script.ChunkDelay, context.RequestAborted);
                await WriteEventAsync(context, "content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = block, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = piece } });
                if (++sent == script.ErrorEventAfterChunks)
                {
                    await WriteEventAsync(context, "error", new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = "overloaded_error", ["message"] = "Overloaded" } });
                    return;
                }
            }
            await WriteEventAsync(context, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = block });
            await WriteEventAsync(context, "message_delta", new JsonObject
            {
                ["type"] = "message_delta",
                ["delta"] = new JsonObject { ["stop_reason"] = "end_turn", ["stop_sequence"] = null },
                ["usage"] = new JsonObject { ["output_tokens"] = script.CompletionTokens },
            });
            await WriteEventAsync(context, "message_stop", new JsonObject { ["type"] = "message_stop" });
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            fakes.StreamClosed(context.RequestAborted.IsCancellationRequested);
        }
    }

    private static JsonObject ModelList()
    {
        var data = new JsonArray();
        foreach (var id in Models)
            data.Add(new JsonObject { ["type"] = "model", ["id"] = id, ["display_name"] = id, ["created_at"] = "2025-09-29T00:00:00Z" });
        return new JsonObject { ["data"] = data, ["has_more"] = false, ["first_id"] = Models[0], ["last_id"] = Models[^1] };
    }

    public static string ErrorType(int status) => status switch
    {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };

    public static JsonObject ErrorBody(int status, string message) => new()
    {
        ["type"] = "error",
        ["error"] = new JsonObject { ["type"] = ErrorType(status), ["message"] = message },
        ["request_id"] = "req_011CFake",
    };

    private static Task WriteErrorAsync(HttpContext context, int status, string message) => WriteJsonAsync(context, status, ErrorBody(status, message));

    private static async Task WriteEventAsync(HttpContext context, string name, JsonObject data)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"event: {name}\ndata: {data.ToJsonString()}\n\n"), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }
}

/// <summary>Splits a reply into stream pieces the way the OpenAI-wire fake does.</summary>
public static class FakeText
{
    public static IEnumerable<string> Split(string text, int pieces)
    {
        pieces = Math.Max(1, Math.Min(pieces, Math.Max(1, text.Length)));
        var size = (int)Math.Ceiling(text.Length / (double)pieces);
        for (var i = 0; i < text.Length; i += size) yield return text.Substring(i, Math.Min(size, text.Length - i));
    }
}
