using System.Text.Json;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Gemini;
using ARouter.Pipeline;
using ARouter.Routing;

namespace ARouter.Endpoints;

/// <summary>
/// The Gemini API's routes: <c>/v1beta/models/{model}:{method}</c> and the model list. A bare Gemini model goes
/// to Google; <c>provider/model</c> (slash plain or as <c>%2F</c>) goes to any provider.
/// </summary>
public sealed class GeminiEndpoints(ChatCompletionHandler chat, EmbeddingsHandler embeddings, TokenCountHandler counter, ModelResolver resolver, ModelCatalog catalog, ProviderDirectory providers)
{
    public Task<GatewayError?> DispatchAsync(GatewayRequest request, string modelAndMethod)
    {
        var separator = modelAndMethod.LastIndexOf(':');
        if (separator <= 0) return Task.FromResult<GatewayError?>(GatewayError.NotFound($"Expected /v1beta/models/{{model}}:{{method}}, got '{modelAndMethod}'."));
        var model = Uri.UnescapeDataString(modelAndMethod[..separator]);
        if (model.StartsWith("models/", StringComparison.Ordinal)) model = model["models/".Length..];
        return modelAndMethod[(separator + 1)..] switch
        {
            "generateContent" => chat.HandleAsync(request, source => GeminiRequestDecoder.Decode(source, model, stream: false)),
            "streamGenerateContent" => chat.HandleAsync(request, source => GeminiRequestDecoder.Decode(source, model, stream: true)),
            "countTokens" => counter.CountAsync(request, source => GeminiRequestDecoder.Decode(source, model, stream: false, forCounting: true), "totalTokens"),
            "embedContent" => embeddings.HandleAsync(request, source => GeminiEmbeddingCodec.Decode(source, model, batch: false)),
            "batchEmbedContents" => embeddings.HandleAsync(request, source => GeminiEmbeddingCodec.Decode(source, model, batch: true)),
            var method => Task.FromResult<GatewayError?>(new GatewayError(ErrorStage.Routing, 501, $"Method '{method}' is not available through this gateway's Gemini API yet.")),
        };
    }


    /// <summary><c>GET /v1beta/models</c>: every routable model in Gemini's list shape, named <c>models/provider/model</c>.</summary>
    public async Task<GatewayError?> ListAsync(GatewayRequest request)
    {
        await AccountEndpoints.WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("models");
            foreach (var model in catalog.Models.Where(m => providers.Find(m.Provider)?.HasKey == true)) WriteModel(json, model);
            json.WriteEndArray();
            json.WriteEndObject();
        });
        return null;
    }

    public async Task<GatewayError?> GetAsync(GatewayRequest request, string name)
    {
        var id = Uri.UnescapeDataString(name);
        var (target, error) = resolver.Resolve(id, embedding: catalog.FindModel(id)?.IsEmbedding ?? false);
        if (target is null) return error;
        await AccountEndpoints.WriteJsonAsync(request.Http, json => WriteModel(json, target.Model));
        return null;
    }

    private static void WriteModel(Utf8JsonWriter json, ModelRecord model)
    {
        json.WriteStartObject();
        json.WriteString("name", "models/" + model.Id);
        json.WriteString("baseModelId", model.UpstreamId);
        json.WriteString("displayName", model.Name ?? model.Id);
        json.WriteNumber("inputTokenLimit", model.ContextLength);
        json.WriteNumber("outputTokenLimit", model.MaxOutputTokens ?? 0);
        json.WriteStartArray("supportedGenerationMethods");
        foreach (var method in model.IsEmbedding ? ["embedContent", "batchEmbedContents"] : (string[])["generateContent", "streamGenerateContent", "countTokens"])
            json.WriteStringValue(method);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
