using System.Collections.Concurrent;
using System.Collections.Frozen;
using Microsoft.Extensions.Configuration;

namespace ARouter.Catalog;

/// <summary>A provider as this process reaches it: catalog row plus the operator's base URL and key.</summary>
public sealed record ProviderEndpoint(ProviderRecord Provider, string BaseUrl, string? ApiKey)
{
    public bool HasKey => !string.IsNullOrEmpty(ApiKey);

    /// <summary>The base URL, parsed once; null when what was configured is not an absolute URL.</summary>
    public Uri? BaseUri { get; } = Uri.TryCreate(BaseUrl, UriKind.Absolute, out var parsed) ? parsed : null;

    /// <summary>
    /// Joins the base URL and a provider path, keeping any path the base URL already has. The paths come from the
    /// catalog (a provider's chat path, a model's), so there are few of them and each is parsed once, not per request.
    /// </summary>
    public Uri Resolve(string path) => Resolved.GetOrAdd((BaseUrl, path), static key => new Uri(key.BaseUrl.TrimEnd('/') + "/" + key.Path.TrimStart('/')));

    private static readonly ConcurrentDictionary<(string BaseUrl, string Path), Uri> Resolved = new();
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
