using ARouter.Catalog;
using ARouter.Storage;

namespace ARouter.Dashboard.Pages;

/// <summary>The catalog as <c>/v1/models</c> prices it, per million tokens, with whether this account can reach each provider.</summary>
public sealed class ModelsModel(ModelCatalog catalog, ProviderDirectory providers, IProviderKeyStore providerKeys) : DashboardPage
{
    public string? Query { get; private set; }
    public IReadOnlyList<ModelRecord> Models { get; private set; } = [];
    public int Total => catalog.Models.Count;
    private HashSet<string> _reachable = [];

    public async Task OnGetAsync(string? q)
    {
        Query = Clean(q);
        var own = (await providerKeys.ListProviderKeysAsync(AccountId, HttpContext.RequestAborted)).Select(k => k.Provider);
        _reachable = providers.All.Where(p => p.HasKey).Select(p => p.Provider.Slug).Concat(own).ToHashSet(StringComparer.Ordinal);
        var terms = Query?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        Models = catalog.Models.Where(m => terms.All(t => Matches(m, t))).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();
    }

    public bool Reachable(ModelRecord model) => _reachable.Contains(model.Provider);

    public static IEnumerable<string> Capabilities(ModelRecord model)
    {
        var c = model.Capabilities;
        if (c.Vision) yield return "vision";
        if (c.Tools) yield return "tools";
        if (c.Pdf) yield return "pdf";
        if (c.Reasoning) yield return "reasoning";
        if (c.Embeddings || model.IsEmbedding) yield return "embeddings";
    }

    private static bool Matches(ModelRecord model, string term)
        => model.Id.Contains(term, StringComparison.OrdinalIgnoreCase)
           || (model.Name?.Contains(term, StringComparison.OrdinalIgnoreCase) ?? false)
           || Capabilities(model).Any(c => c.Equals(term, StringComparison.OrdinalIgnoreCase));
}
