using ARouter.Catalog;
using ARouter.Dialects.Canonical;

namespace ARouter.Routing;

/// <summary>
/// Turns the caller's model name into a <see cref="RouteTarget"/>, or the error that explains why not.
/// Which key the call goes with is decided next, by <see cref="ProviderAccess"/>.
/// </summary>
public sealed class ModelResolver(ModelCatalog catalog, ProviderDirectory providers)
{
    private readonly Dictionary<string, ModelRecord?> _bareNames = BuildBareNames(catalog);

    public (RouteTarget? Target, GatewayError? Error) Resolve(string requested, bool embedding)
    {
        var model = catalog.FindModel(requested);
        if (model is null)
        {
            var slash = requested.IndexOf('/');
            if (slash > 0)
            {
                var slug = requested[..slash];
                if (catalog.FindProvider(slug) is null)
                    return (null, GatewayError.NotFound($"Unknown provider '{slug}' in model '{requested}'. GET /v1/models lists the models this gateway routes.", "model"));
                return (null, GatewayError.NotFound($"Unknown model '{requested}'. GET /v1/models lists the models this gateway routes.", "model"));
            }
            // A bare name is accepted when exactly one provider serves it (e.g. "gpt-4o-mini").
            if (!_bareNames.TryGetValue(requested, out model) || model is null)
                return (null, GatewayError.NotFound($"Unknown model '{requested}'. Name it as provider/model, e.g. 'deepseek/deepseek-chat'; GET /v1/models lists them.", "model"));
        }

        if (model.IsEmbedding != embedding)
            return (null, GatewayError.BadRequest(embedding
                ? $"'{model.Id}' is a chat model; /v1/embeddings needs an embedding model."
                : $"'{model.Id}' is an embedding model; use /v1/embeddings.", "model"));

        return (new RouteTarget(model, providers.Find(model.Provider)!), null);
    }

    private static Dictionary<string, ModelRecord?> BuildBareNames(ModelCatalog catalog)
    {
        var names = new Dictionary<string, ModelRecord?>(StringComparer.Ordinal);
        foreach (var model in catalog.Models)
        {
            var bare = model.Id[(model.Provider.Length + 1)..];
            // Two providers serving the same bare name make it ambiguous: remember that with null.
            names[bare] = names.ContainsKey(bare) ? null : model;
        }
        // A model also answers to the provider's own id (what an Anthropic or Gemini SDK sends), unless a bare name already means something.
        var upstreamIds = new Dictionary<string, ModelRecord?>(StringComparer.Ordinal);
        foreach (var model in catalog.Models)
            upstreamIds[model.UpstreamId] = upstreamIds.ContainsKey(model.UpstreamId) ? null : model;
        foreach (var (id, model) in upstreamIds) names.TryAdd(id, model);
        return names;
    }
}
