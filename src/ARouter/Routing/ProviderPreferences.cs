using System.Text.Json;
using ARouter.Catalog;
using ARouter.Dialects;

namespace ARouter.Routing;

/// <summary>
/// OpenRouter's <c>provider</c> object, applied to the candidate models (<c>model</c>, <c>models</c>, <c>auto</c>):
/// <c>only</c> / <c>ignore</c> filter by provider slug, <c>order</c> puts the named providers first in that order,
/// <c>sort</c> orders by list price (<c>"price"</c>) or by what the gateway observed (<c>"latency"</c>, <c>"throughput"</c>:
/// see <see cref="CandidateRanking"/>), <c>max_price</c> (USD per million tokens) drops dearer models, and
/// <c>allow_fallbacks: false</c> tries only the first. Unknown fields are refused so a typo is not silently ignored.
/// </summary>
public sealed record ProviderPreferences(
    IReadOnlyList<string>? Order, bool AllowFallbacks, IReadOnlyList<string>? Only, IReadOnlyList<string>? Ignore, string? Sort, decimal? MaxPrompt, decimal? MaxCompletion)
{
    private static readonly HashSet<string> Known = ["order", "allow_fallbacks", "only", "ignore", "sort", "max_price"];

    public static ProviderPreferences? Read(JsonElement root)
    {
        if (!root.TryGetProperty("provider", out var provider) || provider.ValueKind == JsonValueKind.Null) return null;
        if (provider.ValueKind != JsonValueKind.Object) throw new DecodeException("'provider' must be an object.", "provider");
        foreach (var property in provider.EnumerateObject())
            if (!Known.Contains(property.Name))
                throw new DecodeException($"'provider.{property.Name}' is not a supported provider preference (use order, allow_fallbacks, only, ignore, sort, max_price).", "provider." + property.Name);

        var sort = JsonRead.OptionalString(provider, "sort", "provider.sort");
        if (sort is not (null or "price" or "latency" or "throughput"))
            throw new DecodeException($"'provider.sort' must be \"price\", \"latency\" or \"throughput\", not '{sort}'.", "provider.sort");
        decimal? maxPrompt = null, maxCompletion = null;
        if (JsonRead.OptionalElement(provider, "max_price") is { } maxPrice)
        {
            if (maxPrice.ValueKind != JsonValueKind.Object) throw new DecodeException("'provider.max_price' must be an object {\"prompt\": USD/M, \"completion\": USD/M}.", "provider.max_price");
            maxPrompt = Price(maxPrice, "prompt");
            maxCompletion = Price(maxPrice, "completion");
        }
        return new ProviderPreferences(Slugs(provider, "order"), JsonRead.OptionalBool(provider, "allow_fallbacks") ?? true, Slugs(provider, "only"), Slugs(provider, "ignore"), sort, maxPrompt, maxCompletion);
    }

    /// <param name="ranking">What the gateway observed, for <c>sort: "latency"</c> and <c>"throughput"</c>.</param>
    public IReadOnlyList<string> Apply(IReadOnlyList<string> candidates, ModelCatalog catalog, CandidateRanking ranking)
    {
        var models = candidates.Select(id => (Id: id, Model: catalog.FindModel(id), Provider: id.Contains('/') ? id[..id.IndexOf('/')] : "")).ToList();
        IEnumerable<(string Id, ModelRecord? Model, string Provider)> kept = models
            .Where(m => Only is null || Only.Contains(m.Provider, StringComparer.OrdinalIgnoreCase))
            .Where(m => Ignore is null || !Ignore.Contains(m.Provider, StringComparer.OrdinalIgnoreCase))
            .Where(m => MaxPrompt is null || m.Model is { } r && r.Price.Prompt <= MaxPrompt)
            .Where(m => MaxCompletion is null || m.Model is { } r && (r.Price.Completion ?? 0) <= MaxCompletion);
        if (Sort == "price") kept = kept.OrderBy(m => m.Model is { } r ? r.Price.Prompt + (r.Price.Completion ?? 0) : decimal.MaxValue);
        else if (Sort is "latency" or "throughput")
        {
            var byId = kept.ToDictionary(m => m.Id);
            kept = (Sort == "latency" ? ranking.ByLatency(byId.Keys) : ranking.ByThroughput(byId.Keys)).Select(id => byId[id]);
        }
        if (Order is { Count: > 0 } order)
        {
            // Stable: providers named in "order" first, in that order; the rest keep their place after them.
            int Rank(string provider)
            {
                for (var i = 0; i < order.Count; i++) if (order[i].Equals(provider, StringComparison.OrdinalIgnoreCase)) return i;
                return order.Count;
            }
            kept = kept.OrderBy(m => Rank(m.Provider));
        }
        var result = kept.Select(m => m.Id).ToList();
        return AllowFallbacks ? result : result.Take(1).ToList();
    }

    private static List<string>? Slugs(JsonElement provider, string name)
    {
        if (JsonRead.OptionalElement(provider, name) is not { } list) return null;
        if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String))
            throw new DecodeException($"'provider.{name}' must be an array of provider slugs.", "provider." + name);
        return list.EnumerateArray().Select(s => s.GetString()!).ToList();
    }

    private static decimal? Price(JsonElement maxPrice, string name)
    {
        if (JsonRead.OptionalElement(maxPrice, name) is not { } value) return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d) && d >= 0
            ? d
            : throw new DecodeException($"'provider.max_price.{name}' must be a number of USD per million tokens.", "provider.max_price." + name);
    }
}
