using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;
using ARouter.Endpoints;
using ARouter.Observability;
using ARouter.Routing;
using ARouter.Storage;
using ARouter.Upstream;
using ARouter.Upstream.Wires;
using CommunityToolkit.HighPerformance.Buffers;
using Microsoft.Extensions.Logging;

namespace ARouter.Pipeline;

/// <summary>
/// <c>POST /v1/chat/completions</c> and <c>POST /v1/messages</c>: decode the caller's dialect → route → check input → reserve → call the provider →
/// relay (streamed or whole) → settle exactly once. Settling sits in a <c>finally</c>, so a client
/// that disconnects, a provider that fails, or a bug all end the reservation.
/// </summary>
public sealed class ChatCompletionHandler(
    ModelResolver resolver,
    ProviderAccess access,
    TokenEstimator tokens,
    CreditCheck credit,
    UpstreamClient upstream,
    ChatWires wires,
    ProviderHealth health,
    ProviderObservations observations,
    CandidateRanking ranking,
    AutoRouter auto,
    ModelCatalog catalog,
    MediaFetcher media,
    CompletionRelay completionRelay,
    StreamRelay streamRelay,
    TimeProvider clock,
    ILogger<ChatCompletionHandler> logger)
{
    /// <param name="decode">How to read the body; Gemini's needs the model and method from the URL. Defaults to the dialect's decoder.</param>
    public async Task<GatewayError?> HandleAsync(GatewayRequest request, Func<SourceDocument, ChatRequest>? decode = null)
    {
        using var source = await request.ReadJsonAsync();
        var chat = decode?.Invoke(source) ?? request.Dialect switch
        {
            CallerDialect.Anthropic => AnthropicRequestDecoder.Decode(source),
            _ => OpenAiChatDecoder.Decode(source),
        };
        if (RequestLimits.Check(chat, request.Options) is { } tooBig) return tooBig;

        // Measured once: every candidate sees the same prompt (unless downloaded media changes it, see TryAsync). Counted exactly only when needed.
        var prompt = tokens.Measure(chat);
        var candidates = CandidatesOf(chat, prompt);
        if (chat.Preferences is { } preferences)
        {
            candidates = preferences.Apply(candidates, catalog, ranking).ToList();
            if (candidates.Count == 0)
                return GatewayError.BadRequest("No candidate model matches the 'provider' preferences (only, ignore, max_price).", "provider");
        }
        if (candidates.Count == 0)
            return GatewayError.BadRequest("No model available on this gateway can take this request for \"auto\" (check capabilities, context length and configured providers).", "model");
        List<(string Model, GatewayError Error)>? failures = null;
        var attempts = new AttemptLog(observations, clock);
        for (var i = 0; i < candidates.Count; i++)
        {
            var candidate = candidates[i];
            var started = clock.GetTimestamp();
            var logged = attempts.Count;
            // Only the last candidate is retried on a transient failure: with others left, falling back is the better retry.
            var error = await TryAsync(request, chat, prompt, candidate, attempts, mayRetry: i == candidates.Count - 1);
            if (error is null) return null;
            if (attempts.Count == logged) attempts.Skipped(candidate, error, started);
            if (!CanFallBack(error) || candidates.Count == 1) return error;
            (failures ??= []).Add((candidate, error));
            Log.FallingBack(logger, request.RequestId, candidate, error.Stage.ToString(), error.Status);
        }
        return AllFailed(failures!);
    }

    /// <summary>OpenRouter's fallback: "model" first, then "models", each tried until one answers; "auto" expands to the router's picks.</summary>
    private List<string> CandidatesOf(ChatRequest chat, PromptSize prompt)
    {
        if (chat.Models is not { Count: > 0 } && !AutoRouter.IsAuto(chat.Model)) return [chat.Model];
        return new[] { chat.Model }.Concat(chat.Models ?? [])
            .SelectMany(m => AutoRouter.IsAuto(m) ? auto.Candidates(chat, prompt) : [m])
            .Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>One candidate model, start to finish. Null when it answered; otherwise why not (nothing charged).</summary>
    private async Task<GatewayError?> TryAsync(GatewayRequest request, ChatRequest chat, PromptSize prompt, string model, AttemptLog attempts, bool mayRetry)
    {
        var (resolved, routeError) = resolver.Resolve(model, embedding: false);
        if (resolved is null) return routeError;
        var (target, accessError) = await access.AuthorizeAsync(request.Http.Request, request.Caller.AccountId, resolved, request.Aborted);
        if (target is null) return accessError;
        if (wires.For(target.Provider.Dialect) is not { } wire)
            return new GatewayError(ErrorStage.Routing, 501, $"Provider '{target.Provider.Slug}' speaks the {target.Provider.Dialect} dialect, which the gateway cannot translate to yet.", "model");
        if (InputCheck.Validate(chat, target.Model) is { } inputError) return inputError with { Stage = ErrorStage.Routing };
        if (target.Provider.Dialect != WireDialect.Anthropic)
        {
            // Gemini reads only inline data or its own file URIs, OpenAI-wire providers PDFs only as file_data: the gateway downloads other URLs, safely.
            var (inlined, mediaError) = await media.InlineAsync(chat, request.Aborted, documentsOnly: target.Provider.Dialect == WireDialect.OpenAi);
            if (inlined is null) return mediaError;
            // A downloaded PDF is counted by its size, so the prompt is measured again only when something was downloaded.
            if (!ReferenceEquals(inlined, chat)) prompt = tokens.Measure(inlined);
            chat = inlined;
        }

        var generationId = Ids.NewGenerationId();
        var (reservation, reserveError) = await credit.ReserveAsync(request, target, generationId, prompt, chat.MaxTokens);
        if (reservation is null) return reserveError;

        var facts = new GenerationFacts(request, target, generationId, "chat.completions", chat.Stream, clock) { Attempts = attempts, ExcludeReasoning = chat.Reasoning?.Exclude == true };
        try
        {
            // The provider's body is about the caller's size, from the pool; it outlives every use (the call is disposed first).
            using var body = new ArrayPoolBufferWriter<byte>((int)Math.Clamp((request.Http.Request.ContentLength ?? 4096) + 512, 1024, 1 << 20));
            wire.EncodeRequest(body, chat, target);
            var uri = wire.ChatUri(target, chat.Stream);
            UpstreamAttempt? answering = null;
            var outcome = await health.CallAsync(target.Provider.Slug, mayRetry, async ct =>
            {
                var attempt = attempts.Begin(target);
                var (sent, sendError) = await upstream.SendAsync(target.Endpoint, target.Credential!.Key, uri, new ReadOnlyMemoryContent(body.WrittenMemory) { Headers = { { "Content-Type", "application/json" } } }, chat.Stream, ct,
                    SameDialectHeaders(request, target));
                if (sent is null)
                {
                    attempts.Failed(attempt, sendError!);
                    return new UpstreamOutcome(null, sendError);
                }
                GatewayError? refused = null;
                int? status = null;
                if (!sent.Response.IsSuccessStatusCode)
                {
                    status = (int)sent.Response.StatusCode;
                    refused = await UpstreamErrorMapper.MapAsync(target.Provider.Slug, sent.Response, ct);
                }
                else if (chat.Stream && sent.Response.Content.Headers.ContentType?.MediaType == "application/json")
                    refused = await UpstreamErrorMapper.MapJsonInsteadOfStreamAsync(target.Provider.Slug, sent.Response, ct);
                if (refused is null)
                {
                    answering = attempt;
                    return new UpstreamOutcome(sent, null);
                }
                sent.Dispose();
                attempts.Failed(attempt, refused);
                return new UpstreamOutcome(null, refused) { UpstreamStatus = status };
            }, request.Aborted);
            if (outcome.Call is not { } call) return facts.Fail(logger, reservation, outcome.Error!);
            using (call)
            {
                var result = chat.Stream
                    ? await streamRelay.RelayAsync(request, wire, call, facts, reservation, prompt)
                    : await completionRelay.RelayAsync(request, wire, call, facts, reservation, prompt);
                // An error back from a relay means nothing reached the caller yet, so the next candidate may still answer.
                if (result is not null)
                {
                    attempts.Failed(answering!, result);
                    return facts.Fail(logger, reservation, result);
                }
                attempts.Finished(answering!, facts, chat.Stream);
            }
            return null;
        }
        finally
        {
            facts.ReleaseIfOpen(reservation);
        }
    }

    /// <summary>
    /// The next candidate is tried after a connection failure, a timeout, a provider failure, a provider rate
    /// limit or a refused provider key — and when this candidate cannot be routed or cannot take the input.
    /// The caller's own mistakes (an upstream 400), their credit, and failures after the answer began are final.
    /// </summary>
    private static bool CanFallBack(GatewayError error) => error.Stage switch
    {
        ErrorStage.Routing or ErrorStage.Permission or ErrorStage.UpstreamConnect or ErrorStage.UpstreamTimeout or ErrorStage.UpstreamFailed => true,
        ErrorStage.UpstreamRefused => error.Status is 429 or 502,
        _ => false,
    };

    private static GatewayError AllFailed(List<(string Model, GatewayError Error)> failures)
    {
        var status = failures[^1].Error.Status == 504 ? 504 : 502;
        var detail = string.Join("; ", failures.Select(f => $"{f.Model}: {f.Error.Status} {f.Error.Message}"));
        return new GatewayError(failures[^1].Error.Stage, status, $"Every candidate model failed. {detail}");
    }

    /// <summary>An Anthropic caller talking to Anthropic keeps its API version and beta features.</summary>
    private static IEnumerable<KeyValuePair<string, string>> SameDialectHeaders(GatewayRequest request, RouteTarget target)
    {
        if (request.Dialect != CallerDialect.Anthropic || target.Provider.Dialect != WireDialect.Anthropic) yield break;
        foreach (var name in (string[])["anthropic-version", "anthropic-beta"])
            if (request.Http.Request.Headers[name].ToString() is { Length: > 0 } value) yield return KeyValuePair.Create(name, value);
    }
}
