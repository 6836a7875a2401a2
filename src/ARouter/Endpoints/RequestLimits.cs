using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;

namespace ARouter.Endpoints;

/// <summary>
/// The explicit limits on a decoded request, beyond the body size (413) and the JSON depth: how many messages,
/// tools and embedding inputs, and how long a model name may be. Each refusal is a 400 that names the limit and
/// the setting that changes it.
/// </summary>
public static class RequestLimits
{
    public static GatewayError? Check(ChatRequest chat, GatewayOptions options)
    {
        if (chat.Messages.Count > options.MaxMessages)
            return TooMany("messages", chat.Messages.Count, options.MaxMessages, nameof(GatewayOptions.MaxMessages));
        if (chat.Tools?.Count > options.MaxTools)
            return TooMany("tools", chat.Tools.Count, options.MaxTools, nameof(GatewayOptions.MaxTools));
        if (chat.Models?.Count > options.MaxModels)
            return TooMany("models", chat.Models.Count, options.MaxModels, nameof(GatewayOptions.MaxModels));
        return CheckModelNames([chat.Model, .. chat.Models ?? []], options);
    }

    public static GatewayError? Check(EmbeddingRequest embedding, GatewayOptions options)
        => embedding.Texts.Count > options.MaxEmbeddingInputs
            ? TooMany("input", embedding.Texts.Count, options.MaxEmbeddingInputs, nameof(GatewayOptions.MaxEmbeddingInputs))
            : CheckModelNames([embedding.Model], options);

    private static GatewayError? CheckModelNames(IEnumerable<string> models, GatewayOptions options)
    {
        foreach (var model in models)
        {
            if (model.Length > options.MaxModelNameLength)
                return GatewayError.BadRequest($"A model name is {model.Length} characters long; this gateway accepts at most {options.MaxModelNameLength} (ARouter:{nameof(GatewayOptions.MaxModelNameLength)}).", "model");
        }
        return null;
    }

    private static GatewayError TooMany(string field, int count, int limit, string setting)
        => GatewayError.BadRequest($"'{field}' has {count} entries; this gateway accepts at most {limit} (ARouter:{setting}).", field);
}
