using System.Collections.Concurrent;
using ARouter.Catalog;

namespace ARouter.Passthrough;

/// <summary>
/// Prices a model named in a native request or response. The name is the provider's own (an upstream id
/// such as <c>claude-sonnet-4-6</c>) or the catalog's (<c>claude-sonnet-4.6</c>). A model the catalog does
/// not know is priced at the provider's ceiling — every price component at its highest — never free.
/// </summary>
public sealed class PassthroughPricing(ModelCatalog catalog)
{
    private readonly ConcurrentDictionary<string, ModelRecord> _ceilings = new(StringComparer.OrdinalIgnoreCase);

    public ModelRecord? Find(string slug, string model)
    {
        model = model.StartsWith("models/", StringComparison.Ordinal) ? model["models/".Length..] : model;
        return catalog.FindModel(slug + "/" + model)
            ?? catalog.Models.FirstOrDefault(m => m.Provider.Equals(slug, StringComparison.OrdinalIgnoreCase) && m.UpstreamId == model);
    }

    /// <summary>The catalog model, or for an unknown (or unnamed) model the provider's ceiling under that name.</summary>
    public ModelRecord PriceFor(string slug, string? model)
    {
        if (model is not null && Find(slug, model) is { } known) return known;
        var ceiling = _ceilings.GetOrAdd(slug, Ceiling);
        return model is null ? ceiling : ceiling with { Id = slug + "/" + model, UpstreamId = model };
    }

    private ModelRecord Ceiling(string slug)
    {
        var models = catalog.Models.Where(m => m.Provider.Equals(slug, StringComparison.OrdinalIgnoreCase)).ToList();
        return new ModelRecord
        {
            Id = slug + "/unknown",
            Provider = slug,
            UpstreamId = "",
            ContextLength = models.Count == 0 ? 1_000_000 : models.Max(m => m.ContextLength),
            MaxOutputTokens = models.Count == 0 ? null : models.Max(m => m.MaxOutputTokens ?? 0) is var max and > 0 ? max : null,
            Price = new PricePerMillion
            {
                Prompt = models.Count == 0 ? 0 : models.Max(m => m.Price.Prompt),
                Completion = models.Max(m => m.Price.Completion),
                CacheRead = models.Max(m => m.Price.CacheRead ?? m.Price.Prompt),
                CacheWrite = models.Max(m => m.Price.CacheWrite ?? m.Price.Prompt),
                Reasoning = models.Max(m => m.Price.Reasoning ?? m.Price.Completion),
            },
        };
    }
}
