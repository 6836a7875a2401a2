using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Endpoints;
using ARouter.Routing;

namespace ARouter.Pipeline;

/// <summary>
/// <c>POST /v1/messages/count_tokens</c> and Gemini's <c>:countTokens</c>: the prompt's tokens as the gateway
/// counts them (o200k), for any model the gateway routes. Free, like the providers' own. Nothing is sent upstream.
/// </summary>
public sealed class TokenCountHandler(ModelResolver resolver, TokenEstimator tokens)
{
    /// <param name="decode">Reads the body in the caller's dialect.</param>
    /// <param name="field">The answer's one field: Anthropic's <c>input_tokens</c>, Gemini's <c>totalTokens</c>.</param>
    public async Task<GatewayError?> CountAsync(GatewayRequest request, Func<SourceDocument, ChatRequest> decode, string field)
    {
        using var source = await request.ReadJsonAsync();
        var chat = decode(source);
        if (RequestLimits.Check(chat, request.Options) is { } tooBig) return tooBig;
        var (target, routeError) = resolver.Resolve(chat.Model, embedding: false);
        if (target is null) return routeError;
        var count = tokens.CountPrompt(chat);
        await AccountEndpoints.WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteNumber(field, count);
            json.WriteEndObject();
        });
        return null;
    }
}
