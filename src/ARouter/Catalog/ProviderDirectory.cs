using System.Collections.Frozen;
using Microsoft.Extensions.Configuration;

namespace ARouter.Catalog;

/// <summary>A provider as this process reaches it: catalog row plus the operator's base URL and key.</summary>
public sealed record ProviderEndpoint(ProviderRecord Provider, string BaseUrl, string? ApiKey)
{
    public bool HasKey => !string.IsNullOrEmpty(ApiKey);

    /// <summary>Joins the base URL and a provider path, keeping any path the base URL already has.</summary>
    public Uri Resolve(string path) => new(BaseUrl.TrimEnd('/') + "/" + path.TrimStart('/'));
}

/// <summary>
/// Resolves each provider's base URL (<c>&lt;SLUG&gt;_BASE_URL</c>, else the catalog's) and key
/// (<c>&lt;SLUG&gt;_API_KEY</c>) once at start-up.
/// </summary>
public sealed class ProviderDirectory
{
    private readonly FrozenDictionary<string, ProviderEndpoint> _endpoints;

    public ProviderDirectory(ModelCatalog catalog, IConfiguration configuration)
    {
        _endpoints = catalog.Providers.ToFrozenDictionary(
            p => p.Slug,
            p =>
            {
                var prefix = p.Slug.ToUpperInvariant();
                var baseUrl = configuration[$"{prefix}_BASE_URL"];
                var key = configuration[$"{prefix}_API_KEY"];
                return new ProviderEndpoint(p, string.IsNullOrWhiteSpace(baseUrl) ? p.BaseUrl : baseUrl.Trim(), string.IsNullOrWhiteSpace(key) ? null : key.Trim());
            },
            StringComparer.OrdinalIgnoreCase);
    }

    public ProviderEndpoint? Find(string slug) => _endpoints.GetValueOrDefault(slug);

    public IEnumerable<ProviderEndpoint> All => _endpoints.Values;
}
