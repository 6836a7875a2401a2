using ARouter.Billing;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.Canonical;
using ARouter.Endpoints;
using ARouter.Routing;

namespace ARouter.Pipeline;

/// <summary>
/// <c>POST /v1/messages/count_tokens</c>: the prompt's tokens as the gateway counts them (o200k), for any
/// model the gateway routes. Free, like Anthropic's. Nothing is sent upstream.
/// </summary>
public sealed class TokenCountHandler(ModelResolver resolver, TokenEstimator tokens)
{
    public async Task<GatewayError?> CountAnthropicAsync(GatewayRequest request)
    {
        using var source = await request.ReadJsonAsync();
        var chat = AnthropicRequestDecoder.Decode(source, forCounting: true);
        var (target, routeError) = resolver.Resolve(chat.Model, embedding: false);
        if (target is null) return routeError;
        var count = tokens.CountPrompt(chat);
        await AccountEndpoints.WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteNumber("input_tokens", count);
            json.WriteEndObject();
        });
        return null;
    }
}
