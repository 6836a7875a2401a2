using System.Text.Json;
using ARouter.Billing;
using ARouter.Catalog;
using Microsoft.AspNetCore.Http;

namespace ARouter.Endpoints;

/// <summary><c>GET /v1/models</c>: every routable model in OpenRouter's shape, prices as decimal strings of USD per token.</summary>
public static class ModelsEndpoint
{
    public static async Task WriteAsync(HttpContext http, ModelCatalog catalog, ProviderDirectory providers)
    {
        http.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(http.Response.BodyWriter, ARouter.Dialects.JsonWriting.Options))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            foreach (var model in catalog.Models)
            {
                if (providers.Find(model.Provider) is not { HasKey: true }) continue;
                WriteModel(json, model);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
    }

    public static void WriteModel(Utf8JsonWriter json, ModelRecord model)
    {
        json.WriteStartObject();
        json.WriteString("id", model.Id);
        json.WriteString("object", "model");
        json.WriteNumber("created", 0);
        json.WriteString("owned_by", model.Provider);
        json.WriteString("name", model.Name ?? model.Id);
        json.WriteString("type", model.Kind);
        json.WriteNumber("context_length", model.ContextLength);
        if (model.MaxOutputTokens is { } maxOutput) json.WriteNumber("max_output_tokens", maxOutput); else json.WriteNull("max_output_tokens");

        json.WriteStartObject("pricing");
        json.WriteString("prompt", PerToken(model.Price.Prompt));
        json.WriteString("completion", PerToken(model.Price.Completion ?? 0));
        if (model.Price.CacheRead is { } read) json.WriteString("input_cache_read", PerToken(read));
        if (model.Price.CacheWrite is { } write) json.WriteString("input_cache_write", PerToken(write));
        if (model.Price.Reasoning is { } reasoning) json.WriteString("internal_reasoning", PerToken(reasoning));
        json.WriteEndObject();

        var can = model.Capabilities;
        json.WriteStartObject("capabilities");
        json.WriteBoolean("vision", can.Vision);
        json.WriteBoolean("tools", can.Tools);
        json.WriteBoolean("pdf", can.Pdf);
        json.WriteBoolean("embeddings", can.Embeddings);
        json.WriteBoolean("reasoning", can.Reasoning);
        json.WriteEndObject();

        json.WriteStartObject("architecture");
        json.WriteStartArray("input_modalities");
        json.WriteStringValue("text");
        if (can.Vision) json.WriteStringValue("image");
        if (can.Pdf) json.WriteStringValue("file");
        json.WriteEndArray();
        json.WriteStartArray("output_modalities");
        json.WriteStringValue(model.IsEmbedding ? "embeddings" : "text");
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string PerToken(decimal perMillion) => Money.Format(perMillion / 1_000_000m);
}
