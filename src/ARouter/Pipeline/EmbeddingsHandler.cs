using System.Buffers;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Gemini;
using ARouter.Dialects.OpenAi;
using ARouter.Endpoints;
using ARouter.Observability;
using ARouter.Routing;
using ARouter.Storage;
using ARouter.Upstream;
using Microsoft.Extensions.Logging;

namespace ARouter.Pipeline;

/// <summary><c>POST /v1/embeddings</c> to any OpenAI-wire provider that has embedding models; billed like chat.</summary>
public sealed class EmbeddingsHandler(
    ModelResolver resolver,
    ProviderAccess access,
    TokenEstimator tokens,
    CreditCheck credit,
    UpstreamClient upstream,
    TimeProvider clock,
    ILogger<EmbeddingsHandler> logger)
{
    /// <param name="decode">How to read the body; defaults to the OpenAI embeddings request.</param>
    public async Task<GatewayError?> HandleAsync(GatewayRequest request, Func<SourceDocument, EmbeddingRequest>? decode = null)
    {
        using var source = await request.ReadJsonAsync();
        var embedding = decode?.Invoke(source) ?? OpenAiEmbeddingDecoder.Decode(source);
        if (RequestLimits.Check(embedding, request.Options) is { } tooBig) return tooBig;
        var (resolved, routeError) = resolver.Resolve(embedding.Model, embedding: true);
        if (resolved is null) return routeError;
        var (target, accessError) = await access.AuthorizeAsync(request.Http.Request, request.Caller.AccountId, resolved, request.Aborted);
        if (target is null) return accessError;
        if (target.Provider.Dialect == WireDialect.Anthropic || target.Provider.EmbeddingsPath is not { } embeddingsPath)
            return GatewayError.BadRequest($"Provider '{target.Provider.Slug}' has no embeddings API.", "model");

        var prompt = tokens.Measure(embedding);
        var generationId = Ids.NewGenerationId();
        var (reservation, reserveError) = await credit.ReserveAsync(request, target, generationId, prompt, 0);
        if (reservation is null) return reserveError;

        var facts = new GenerationFacts(request, target, generationId, "embeddings", false, clock);
        try
        {
            var body = new ArrayBufferWriter<byte>(1024);
            var google = target.Provider.Dialect == WireDialect.Gemini;
            if (google) GeminiEmbeddingCodec.EncodeForGoogle(body, embedding, target.Model.UpstreamId);
            else OpenAiEmbeddingDecoder.EncodeForProvider(body, embedding, target.Model.UpstreamId);
            var uri = target.Endpoint.Resolve(embeddingsPath.Replace("{model}", Uri.EscapeDataString(target.Model.UpstreamId), StringComparison.Ordinal));
            var content = new ReadOnlyMemoryContent(body.WrittenMemory) { Headers = { { "Content-Type", "application/json" } } };
            var (call, sendError) = await upstream.SendAsync(target.Endpoint, target.Credential!.Key, uri, content, false, request.Aborted);
            if (call is null) return facts.Fail(logger, reservation, sendError!);
            using (call)
            {
                if (!call.Response.IsSuccessStatusCode)
                    return facts.Fail(logger, reservation, await UpstreamErrorMapper.MapAsync(target.Provider.Slug, call.Response, request.Aborted));
                return await RelayAsync(request, embedding, call, facts, reservation, prompt);
            }
        }
        finally
        {
            facts.ReleaseIfOpen(reservation);
        }
    }

    private async Task<GatewayError?> RelayAsync(GatewayRequest request, EmbeddingRequest embedding, UpstreamCall call, GenerationFacts facts, Reservation reservation, PromptSize prompt)
    {
        var target = facts.Target;
        byte[] body;
        JsonDocument document;
        try
        {
            body = await call.Response.Content.ReadAsByteArrayAsync(request.Aborted);
            document = JsonDocument.Parse(body);
        }
        catch (Exception e) when (e is JsonException or IOException or HttpRequestException)
        {
            return facts.Fail(logger, reservation, new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{target.Provider.Slug}' returned an unreadable embeddings response."));
        }
        using (document)
        {
            // The answer is copied as its bytes: they must be text a caller can read.
            if (!UnicodeText.IsValid(body))
                return facts.Fail(logger, reservation, new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{target.Provider.Slug}' returned an embeddings response that is not valid Unicode."));
            var root = document.RootElement;
            JsonElement? upstreamUsage = root.ValueKind == JsonValueKind.Object && OpenAiUsage.TryFind(root, out var u) ? u : null;
            var usage = upstreamUsage is { } found ? OpenAiUsage.Read(found) : null;
            facts.UsageCounted = usage is null;
            usage ??= new TokenUsage(prompt.Exact, 0);
            if (facts.UsageCounted) upstreamUsage = null;
            facts.Usage = usage;
            var charged = await reservation.SettleAsync(facts.CostOf(usage), facts.ToRecord());
            facts.ChargedNanos = charged;

            var response = request.Http.Response;
            response.ContentType = "application/json";
            using (var json = new Utf8JsonWriter(response.BodyWriter, ARouter.Dialects.JsonWriting.Options))
            {
                var cost = Money.FromNanos(charged);
                if (request.Dialect == CallerDialect.Gemini) GeminiEmbeddingCodec.WriteResponse(json, GeminiEmbeddingCodec.Vectors(root), embedding, usage, cost);
                else if (target.Provider.Dialect == WireDialect.OpenAi) OpenAiResponseEncoder.WriteRewritten(json, root, facts.GenerationId, target.Model.Id, new(upstreamUsage, usage, cost));
                else OpenAiEmbeddingEncoder.WriteList(json, GeminiEmbeddingCodec.Vectors(root), target.Model.Id, embedding.Base64, usage, cost);
            }
            await response.BodyWriter.FlushAsync(request.Aborted);
        }
        return null;
    }

}
