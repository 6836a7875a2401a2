using System.Collections.Frozen;
using System.Text.Json;

namespace ARouter.Catalog;

/// <summary>
/// The providers and models ARouter knows: the embedded catalog, extended or overridden by the
/// file named in <c>AROUTER_CATALOG</c>. Read-only after start-up, so lookups need no locks.
/// </summary>
public sealed class ModelCatalog
{
    private readonly FrozenDictionary<string, ModelRecord> _models;
    private readonly FrozenDictionary<string, ProviderRecord> _providers;

    public ModelCatalog(CatalogDocument document)
    {
        _providers = document.Providers.ToFrozenDictionary(p => p.Slug, StringComparer.OrdinalIgnoreCase);
        foreach (var model in document.Models)
        {
            if (!_providers.ContainsKey(model.Provider))
                throw new InvalidDataException($"Catalog model '{model.Id}' names unknown provider '{model.Provider}'.");
        }
        _models = document.Models.ToFrozenDictionary(m => m.Id, StringComparer.Ordinal);
        Providers = document.Providers;
        Models = document.Models;
    }

    public IReadOnlyList<ProviderRecord> Providers { get; }
    public IReadOnlyList<ModelRecord> Models { get; }

    public ModelRecord? FindModel(string id) => _models.GetValueOrDefault(id);

    public ProviderRecord? FindProvider(string slug) => _providers.GetValueOrDefault(slug);

    /// <summary>Loads the embedded catalog and merges an override file over it (same id or slug replaces).</summary>
    public static ModelCatalog Load(string? overridePath)
    {
        using var stream = typeof(ModelCatalog).Assembly.GetManifestResourceStream("ARouter.catalog.json")
            ?? throw new InvalidOperationException("The embedded catalog is missing from the build.");
        var document = Parse(stream, "embedded catalog");
        if (string.IsNullOrWhiteSpace(overridePath))
            return new ModelCatalog(document);

        using var file = File.OpenRead(overridePath);
        return new ModelCatalog(Merge(document, Parse(file, overridePath)));
    }

    internal static CatalogDocument Merge(CatalogDocument baseline, CatalogDocument overlay)
    {
        var providers = baseline.Providers.ToDictionary(p => p.Slug, StringComparer.OrdinalIgnoreCase);
        foreach (var provider in overlay.Providers) providers[provider.Slug] = provider;
        var models = baseline.Models.ToDictionary(m => m.Id, StringComparer.Ordinal);
        foreach (var model in overlay.Models) models[model.Id] = model;
        return new CatalogDocument { Providers = [.. providers.Values], Models = [.. models.Values] };
    }

    private static CatalogDocument Parse(Stream stream, string source)
    {
        try
        {
            return JsonSerializer.Deserialize(stream, CatalogJsonContext.Default.CatalogDocument)
                ?? throw new InvalidDataException($"The {source} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The {source} is not a valid catalog: {e.Message}", e);
        }
    }
}
