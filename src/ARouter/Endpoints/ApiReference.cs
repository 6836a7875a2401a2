using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace ARouter.Endpoints;

/// <summary>
/// <c>GET /openapi/v1.json</c> and a browsable reference at <c>/docs</c> (Scalar, served from the binary, no CDN).
/// The gateway's endpoints are generic request delegates that ApiExplorer cannot see, so the operations are
/// described here, next to the table of routes in <see cref="EndpointMap"/>.
/// </summary>
public static class ApiReference
{
    private sealed record Operation(string Method, string Path, string Tag, string Summary, string Description = "");

    private static readonly Operation[] Operations =
    [
        new("POST", "/v1/chat/completions", "OpenAI", "Chat completion in the OpenAI dialect",
            "`model` is `provider/model`, `auto`, or a bare name served by one provider; `models` adds fallbacks. `stream: true` gives SSE with usage and `usage.cost` in the last chunk before `[DONE]`."),
        new("POST", "/v1/embeddings", "OpenAI", "Embeddings from any provider with embedding models"),
        new("GET", "/v1/models", "OpenAI", "Every routable model with prices per token and capabilities"),
        new("POST", "/v1/messages", "Anthropic", "Messages in the Anthropic dialect, to any provider", "Auth also via `x-api-key`. Streams emit Anthropic's event sequence; `message_delta.usage.cost` carries the charge."),
        new("POST", "/v1/messages/count_tokens", "Anthropic", "Count a prompt's tokens (free)"),
        new("POST", "/v1beta/models/{model}:generateContent", "Gemini", "generateContent in the Gemini dialect, to any provider", "Auth via `x-goog-api-key` or `?key=`. Also `:streamGenerateContent` (SSE with `?alt=sse`, else a JSON array), `:countTokens`, `:embedContent`, `:batchEmbedContents`."),
        new("GET", "/v1beta/models", "Gemini", "Routable models in Gemini's list shape"),
        new("GET", "/api/v1/balance", "Account", "Balance, total credits and usage in USD"),
        new("GET", "/api/v1/transactions", "Account", "Credits and charges, newest first (`limit` ≤ 100, opaque `cursor`)"),
        new("GET", "/api/v1/generations/{id}", "Account", "Metadata of one request: model, tokens, cost, latency, attempts — never prompt or completion"),
        new("GET", "/api/v1/keys", "Keys", "List the account's keys (management key)"),
        new("POST", "/api/v1/keys", "Keys", "Create a key: `name`, `limit`, `rate_limit`, `management`; the secret is returned once"),
        new("GET", "/api/v1/keys/{id}", "Keys", "One key's usage, limit and rate limit"),
        new("PATCH", "/api/v1/keys/{id}", "Keys", "Change name, limit, rate limit or `disabled`"),
        new("DELETE", "/api/v1/keys/{id}", "Keys", "Revoke a key"),
        new("GET", "/api/v1/provider-keys", "Keys", "Providers this account stored its own key for (never the key)"),
        new("PUT", "/api/v1/provider-keys/{provider}", "Keys", "Store a provider key (BYOK), encrypted at rest"),
        new("DELETE", "/api/v1/provider-keys/{provider}", "Keys", "Remove a stored provider key"),
        new("POST", "/{provider}/{path}", "Passthrough", "Forward any provider API call unchanged with the real key injected; usage still billed", "Also GET, PUT, PATCH, DELETE."),
        new("POST", "/api/v1/admin/accounts", "Admin", "Create an account and its first key (`Authorization: Bearer $AROUTER_ADMIN_TOKEN`)"),
        new("POST", "/api/v1/admin/accounts/{id}/credits", "Admin", "Add credit: `amount`, `description`"),
        new("GET", "/api/v1/admin/accounts/{id}", "Admin", "An account's balance and totals"),
        new("GET", "/health", "Health", "Liveness"),
        new("GET", "/health/ready", "Health", "Readiness: checks the database"),
    ];

    public static IServiceCollection AddApiReference(this IServiceCollection services)
        => services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "ARouter",
                Version = "v1",
                Description = "One API key (`lr_live_…`) for 12 LLM providers, in the OpenAI, Anthropic and Gemini dialects. Every completion carries `usage.cost` in USD.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = "An ARouter key, lr_live_…" };
            document.Paths ??= new OpenApiPaths();
            foreach (var group in Operations.GroupBy(o => o.Path))
            {
                var item = new OpenApiPathItem();
                foreach (var operation in group)
                {
                    item.AddOperation(HttpMethod.Parse(operation.Method), new OpenApiOperation
                    {
                        Summary = operation.Summary,
                        Description = operation.Description,
                        Tags = new HashSet<OpenApiTagReference> { new(operation.Tag, document) },
                        Responses = new OpenApiResponses { ["200"] = new OpenApiResponse { Description = "Success; errors use the endpoint's dialect and the statuses in the README." } },
                    });
                }
                document.Paths[group.Key] = item;
            }
            return Task.CompletedTask;
        }));

    public static void MapApiReference(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", options => options.WithTitle("ARouter API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
    }
}
