using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ARouter.Tests.FakeUpstream;

/// <summary>
/// One real HTTP server on a loopback port that plays every OpenAI-wire provider at <c>/{slug}/…</c>,
/// speaking each one's real paths, usage placement, SSE framing and error bodies. It records every
/// request and can be scripted to fail, delay or cut a stream.
/// </summary>
public sealed class FakeProviders : IAsyncDisposable
{
    private static readonly string[] AllSlugs = ["openai", "anthropic", "google", "deepseek", "xai", "kimi", "minimax", "mistral", "groq", "cohere", "nvidia", "dashscope"];

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, FakeScript> _scripts = new();
    private readonly ConcurrentDictionary<string, int> _failuresServed = new();
    private readonly ConcurrentDictionary<string, int> _cancelledRequests = new();
    private const string CutByFake = "fake-cut";
    private int _openStreams;
    private int _cancelledStreams;

    private FakeProviders(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];
    public int OpenStreams => Volatile.Read(ref _openStreams);
    public int CancelledStreams => Volatile.Read(ref _cancelledStreams);
    /// <summary>Large bodies (<see cref="FakeScript.LargeBodyBytes"/>) written to the end.</summary>
    public int LargeBodiesFinished => Volatile.Read(ref _largeBodiesFinished);
    private int _largeBodiesFinished;
    /// <summary><see cref="FakeScript.WirePieces"/> whose write has begun, over all streams.</summary>
    public int WirePiecesStarted => Volatile.Read(ref _wirePiecesStarted);
    private int _wirePiecesStarted;

    internal void StreamOpened() => Interlocked.Increment(ref _openStreams);
    internal void StreamClosed(bool cancelled)
    {
        if (cancelled) Interlocked.Increment(ref _cancelledStreams);
        Interlocked.Decrement(ref _openStreams);
    }
    internal void LargeBodyFinished() => Interlocked.Increment(ref _largeBodiesFinished);

    /// <summary>Requests for <c>/files/…</c>: media the gateway downloaded on a caller's behalf.</summary>
    public int MediaRequests => Volatile.Read(ref _mediaRequests);
    private int _mediaRequests;

    private IResult MediaServed(IResult result)
    {
        Interlocked.Increment(ref _mediaRequests);
        return result;
    }

    /// <summary>A minimal PDF, for documents the gateway downloads on a caller's behalf.</summary>
    public static readonly byte[] FakePdf = System.Text.Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n");

    public static string KeyFor(string slug) => $"sk-fake-{slug}-0123456789";

    public static async Task<FakeProviders> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fakes = new FakeProviders(app);
        // A tiny PNG, for media the gateway downloads on a caller's behalf.
        app.MapGet("/files/pixel.png", () => fakes.MediaServed(Results.Bytes(Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="), "image/png")));
        app.MapGet("/files/doc.pdf", () => fakes.MediaServed(Results.Bytes(FakePdf, "application/pdf")));
        // A host that sends the downloader somewhere else (cloud metadata, loopback): redirects must not be followed.
        app.MapGet("/files/redirect", (string to) => fakes.MediaServed(Results.Redirect(to)));
        app.Map("/{slug}/{**path}", fakes.HandleAsync);
        await app.StartAsync();
        fakes.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return fakes;
    }

    public string BaseUrl(string slug) => new Uri(Address, "/" + slug).ToString();

    /// <summary>The <c>&lt;SLUG&gt;_BASE_URL</c> and <c>&lt;SLUG&gt;_API_KEY</c> an operator would set to point the gateway here.</summary>
    public IReadOnlyDictionary<string, string?> GatewayConfiguration()
        => AllSlugs.SelectMany(slug => new[]
        {
            KeyValuePair.Create($"{slug.ToUpperInvariant()}_BASE_URL", (string?)BaseUrl(slug)),
            KeyValuePair.Create($"{slug.ToUpperInvariant()}_API_KEY", (string?)KeyFor(slug)),
        }).ToDictionary();

    public IReadOnlyList<RecordedRequest> RequestsTo(string slug) => [.. _requests.Where(r => r.Slug == slug)];

    public void Script(string slug, FakeScript script)
    {
        _failuresServed[slug] = 0;
        _scripts[slug] = script;
    }

    /// <summary>Scripts a provider until the returned scope is disposed, then puts it back to <see cref="FakeScript.Default"/>.</summary>
    public IDisposable Scripted(string slug, FakeScript script)
    {
        Script(slug, script);
        return new ScriptScope(this, slug);
    }

    private sealed class ScriptScope(FakeProviders fakes, string slug) : IDisposable
    {
        public void Dispose() => fakes.Script(slug, FakeScript.Default);
    }

    /// <summary>Requests to <paramref name="slug"/> whose caller (the gateway) went away before the fake had answered them in full.</summary>
    public int CancelledRequestsTo(string slug) => _cancelledRequests.GetValueOrDefault(slug);

    public void Reset()
    {
        _scripts.Clear();
        _requests.Clear();
        _failuresServed.Clear();
        _cancelledRequests.Clear();
    }

    /// <summary>The script for this request: one with <see cref="FakeScript.FailFirst"/> stops failing once that many failures were served.</summary>
    private FakeScript ScriptFor(string slug)
    {
        var script = _scripts.GetValueOrDefault(slug, FakeScript.Default);
        if (script.FailStatus is null || script.FailFirst is not { } first) return script;
        return _failuresServed.AddOrUpdate(slug, 1, (_, n) => n + 1) <= first ? script : script with { FailStatus = null };
    }

    /// <summary>
    /// The real APIs validate every field and answer a wrong shape with a 400; a fake that met one (a number where
    /// an object belongs, a lone surrogate) answers the same instead of crashing into a 500.
    /// </summary>
    private async Task HandleAsync(HttpContext context, string slug, string? path)
    {
        try
        {
            await HandleRequestAsync(context, slug, path);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException && !context.Response.HasStarted)
        {
            context.Response.StatusCode = 400;
            context.Response.ContentType = "application/json";
            var message = "Invalid request: a field has the wrong type or value.";
            JsonObject body = slug switch
            {
                "anthropic" => new JsonObject { ["type"] = "error", ["error"] = new JsonObject { ["type"] = "invalid_request_error", ["message"] = message } },
                "google" => new JsonObject { ["error"] = new JsonObject { ["code"] = 400, ["message"] = message, ["status"] = "INVALID_ARGUMENT" } },
                _ => FakeProviderProfile.All.TryGetValue(slug, out var profile) ? FakeErrorBodies.For(profile.Errors, 400, message) : new JsonObject { ["error"] = message },
            };
            await context.Response.WriteAsync(body.ToJsonString());
        }
    }

    private async Task HandleRequestAsync(HttpContext context, string slug, string? path)
    {
        try
        {
            await ServeAsync(context, slug, path);
        }
        finally
        {
            // The connection closing under a request the fake was still serving is what a real provider sees when a caller leaves.
            if (context.RequestAborted.IsCancellationRequested && !context.Items.ContainsKey(CutByFake))
                _cancelledRequests.AddOrUpdate(slug, 1, (_, n) => n + 1);
        }
    }

    private async Task ServeAsync(HttpContext context, string slug, string? path)
    {
        var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync();
        var providerPath = "/" + (path ?? "");
        var recorded = new RecordedRequest(slug, context.Request.Method, providerPath, context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body) { ConnectionId = context.Connection.Id };
        context.Response.OnCompleted(() =>
        {
            recorded.MarkAnswered();
            return Task.CompletedTask;
        });
        _requests.Enqueue(recorded);

        var script = ScriptFor(slug);
        // Anthropic and Gemini speak their own native APIs, not the OpenAI wire.
        if (slug == "anthropic")
        {
            await new FakeAnthropic(this, script).HandleAsync(context, providerPath, body);
            return;
        }
        if (slug == "google")
        {
            await new FakeGemini(this, script).HandleAsync(context, providerPath, body);
            return;
        }
        if (!FakeProviderProfile.All.TryGetValue(slug, out var profile))
        {
            await WriteJsonAsync(context, 404, new JsonObject { ["error"] = new JsonObject { ["message"] = $"No fake for provider '{slug}'." } });
            return;
        }
        if (script.Delay > TimeSpan.Zero) await Task.Delay(script.Delay, context.RequestAborted);

        var presented = context.Request.Headers.Authorization.ToString();
        if (presented != "Bearer " + KeyFor(slug))
        {
            // Providers echo a masked copy of the key they were given.
            var key = presented.StartsWith("Bearer ") ? presented[7..] : presented;
            var masked = key.Length > 8 ? key[..6] + "*****" + key[^4..] : "***";
            await WriteErrorAsync(context, profile, 401, $"Incorrect API key provided: {masked}. You can find your API key in your account settings.");
            return;
        }
        if (script.FailStatus is { } failStatus)
        {
            if (failStatus == 429) context.Response.Headers.RetryAfter = script.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WriteErrorAsync(context, profile, failStatus, script.FailMessage);
            return;
        }
        if (context.Request.Method == "GET" && providerPath == profile.ChatPath.Replace("chat/completions", "models"))
        {
            await WriteJsonAsync(context, 200, new JsonObject { ["object"] = "list", ["data"] = new JsonArray(new JsonObject { ["id"] = "fake-model", ["object"] = "model", ["created"] = 1_700_000_000, ["owned_by"] = slug }) });
            return;
        }
        if (context.Request.Method != "POST" || (providerPath != profile.ChatPath && providerPath != profile.EmbeddingsPath))
        {
            await WriteErrorAsync(context, profile, 404, $"Unknown request URL: {context.Request.Method} {providerPath}.");
            return;
        }

        JsonObject request;
        try
        {
            request = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
            _ = request.Count; // JsonNode parses lazily: duplicate keys throw here, inside the try, not at first use
        }
        catch (Exception e) when (e is JsonException or ArgumentException) // duplicate keys too: the real API answers 400
        {
            await WriteErrorAsync(context, profile, 400, "We could not parse the JSON body of your request.");
            return;
        }
        if (await RejectAsync(context, profile, request)) return;

        if (script.BaseRespErrorCode is { } code)
        {
            await WriteJsonAsync(context, 200, new JsonObject { ["id"] = Guid.NewGuid().ToString("n"), ["choices"] = null, ["base_resp"] = new JsonObject { ["status_code"] = code, ["status_msg"] = script.FailMessage } });
            return;
        }
        if (script.LargeBodyBytes > 0) await FakeLargeBody.WriteAsync(context, script, ModelOf(request), this);
        else if (providerPath == profile.EmbeddingsPath && script.WirePieces is null) await WriteJsonAsync(context, 200, FakeEmbeddings.Response(request, script));
        else if (request["stream"]?.GetValue<bool>() == true) await StreamAsync(context, profile, script, request);
        else if (script.WirePieces is { } verbatim)
        {
            context.Response.ContentType = "application/json";
            foreach (var piece in verbatim) await context.Response.Body.WriteAsync(piece, context.RequestAborted);
        }
        else await WriteJsonAsync(context, 200, new FakeChatResponses(profile, script, ModelOf(request)).Completion());
    }

    /// <summary>Refuses what the real provider refuses: missing fields, fields it does not accept, stream options without a stream.</summary>
    private static async Task<bool> RejectAsync(HttpContext context, FakeProviderProfile profile, JsonObject request)
    {
        if (request["model"] is null)
        {
            await WriteErrorAsync(context, profile, 400, "you must provide a model parameter");
            return true;
        }
        // Like the real APIs, a field of the wrong type is a 400 naming it, not a crash.
        foreach (var (field, kinds) in TypedFields)
        {
            if (request[field] is not { } value || kinds.Contains(value.GetValueKind())) continue;
            await WriteErrorAsync(context, profile, 400, $"Invalid type for '{field}': expected {string.Join(" or ", kinds)}, but got {value.GetValueKind()} instead.");
            return true;
        }
        foreach (var field in profile.RejectedFields)
        {
            if (!request.ContainsKey(field)) continue;
            if (profile.RejectedFieldsAre422) await WriteJsonAsync(context, 422, FakeErrorBodies.MistralExtraForbidden(field));
            else await WriteErrorAsync(context, profile, 400, $"Unsupported parameter: '{field}' is not supported with this model.");
            return true;
        }
        if (request.ContainsKey("stream_options") && request["stream"]?.GetValue<bool>() != true)
        {
            await WriteErrorAsync(context, profile, 400, "The 'stream_options' parameter is only allowed when 'stream' is enabled.");
            return true;
        }
        return false;
    }

    private static readonly (string Field, JsonValueKind[] Kinds)[] TypedFields =
    [
        ("model", [JsonValueKind.String]),
        ("stream", [JsonValueKind.True, JsonValueKind.False, JsonValueKind.Null]),
        ("stream_options", [JsonValueKind.Object, JsonValueKind.Null]),
        ("messages", [JsonValueKind.Array]),
    ];

    private async Task StreamAsync(HttpContext context, FakeProviderProfile profile, FakeScript script, JsonObject request)
    {
        var usageAsked = request["stream_options"]?["include_usage"]?.GetValueKind() == JsonValueKind.True;
        var responses = new FakeChatResponses(profile, script, ModelOf(request));
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        Interlocked.Increment(ref _openStreams);
        try
        {
            await context.Response.StartAsync(context.RequestAborted);
            // The headers go out at once, as a real provider's do when a stream starts.
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (profile.SendsKeepAliveComments) await WriteRawAsync(context, ": keep-alive\n\n");
            if (script.WirePieces is { } pieces)
            {
                foreach (var piece in pieces)
                {
                    Interlocked.Increment(ref _wirePiecesStarted);
                    await context.Response.Body.WriteAsync(piece, context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    // Apart in time, so the gateway reads them apart.
                    await Task.Delay(script.WirePieceDelay, context.RequestAborted);
                }
                return;
            }
            if (script.CutAfterChunks == 0)
            {
                await Task.Delay(200);
                context.Items[CutByFake] = true;
                context.Abort();
                return;
            }
            if (script.ErrorEventAfterChunks == 0)
            {
                await WriteEventAsync(context, FakeChatResponses.ErrorEvent(script.FailMessage));
                return;
            }
            var sent = 0;
            foreach (var chunk in responses.ContentChunks(usageAsked))
            {
                if (sent == script.StallAfterChunks) await Task.Delay(script.Stall, context.RequestAborted);
                if (sent > 0 && script.ChunkDelay > TimeSpan.Zero) await Task.Delay(script.ChunkDelay, context.RequestAborted);
                await WriteEventAsync(context, chunk);
                sent++;
                if (sent == script.CutAfterChunks)
                {
                    // Let the chunks reach the gateway first: a reset discards data the peer has not read yet.
                    await Task.Delay(200);
                    context.Items[CutByFake] = true;
                    context.Abort();
                    return;
                }
                if (sent == script.ErrorEventAfterChunks)
                {
                    await WriteEventAsync(context, FakeChatResponses.ErrorEvent(script.FailMessage));
                    return;
                }
            }
            foreach (var chunk in responses.ClosingChunks(usageAsked)) await WriteEventAsync(context, chunk);
            await WriteRawAsync(context, "data: [DONE]\n\n");
            if (script.BodyEndDelay > TimeSpan.Zero) await Task.Delay(script.BodyEndDelay, context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
        }
        finally
        {
            if (context.RequestAborted.IsCancellationRequested && script.CutAfterChunks is null) Interlocked.Increment(ref _cancelledStreams);
            Interlocked.Decrement(ref _openStreams);
        }
    }

    private static string ModelOf(JsonObject request) => request["model"]?.ToString() ?? "";

    private static Task WriteEventAsync(HttpContext context, JsonObject chunk) => WriteRawAsync(context, "data: " + chunk.ToJsonString() + "\n\n");

    private static async Task WriteRawAsync(HttpContext context, string text)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static Task WriteErrorAsync(HttpContext context, FakeProviderProfile profile, int status, string message)
        => WriteJsonAsync(context, status, FakeErrorBodies.For(profile.Errors, status, message));

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
