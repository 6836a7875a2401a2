using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.Canonical;
using ARouter.Observability;
using ARouter.Passthrough;
using ARouter.Pipeline;
using ARouter.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ARouter.Endpoints;

/// <summary>Every route the gateway serves. Endpoints are thin: they pick the dialect and hand over to the pipeline.</summary>
public static class EndpointMap
{
    /// <summary>An ARouter API endpoint (OpenAI-shaped errors) served by a singleton of <typeparamref name="T"/>.</summary>
    private static RequestDelegate Api<T>(IEndpointRouteBuilder app, Func<T, GatewayRequest, Task<GatewayError?>> call) where T : class
        => ServedBy(app, CallerDialect.OpenAi, call);

    /// <summary>A Gemini API endpoint (Google-shaped errors) served by a singleton of <typeparamref name="T"/>.</summary>
    private static RequestDelegate Gemini<T>(IEndpointRouteBuilder app, Func<T, GatewayRequest, Task<GatewayError?>> call) where T : class
        => ServedBy(app, CallerDialect.Gemini, call);

    private static RequestDelegate ServedBy<T>(IEndpointRouteBuilder app, CallerDialect dialect, Func<T, GatewayRequest, Task<GatewayError?>> call) where T : class
    {
        var service = Shared<T>(app);
        return GatewayEndpoint.Keyed(dialect, r => call(service(), r));
    }

    /// <summary>
    /// A singleton from the app's container, resolved on first use. Resolving it through <c>HttpContext.RequestServices</c>
    /// made every request create (and at its end dispose) a DI scope it had no scoped service for.
    /// </summary>
    internal static Func<T> Shared<T>(IEndpointRouteBuilder app) where T : class
    {
        T? resolved = null;
        return () => resolved ??= app.ServiceProvider.GetRequiredService<T>();
    }

    private static string Route(GatewayRequest request, string name) => (string)request.Http.Request.RouteValues[name]!;

    public static void MapGateway(this IEndpointRouteBuilder app)
    {
        var chat = Shared<ChatCompletionHandler>(app);
        var counting = Shared<TokenCountHandler>(app);
        var embeddings = Shared<EmbeddingsHandler>(app);
        var accounts = Shared<IAccountStore>(app);
        var ledger = Shared<Ledger>(app);
        var ledgerStore = Shared<ILedgerStore>(app);
        app.MapPost("/v1/chat/completions", GatewayEndpoint.Keyed(CallerDialect.OpenAi, r => chat().HandleAsync(r)));
        app.MapPost("/v1/messages", GatewayEndpoint.Keyed(CallerDialect.Anthropic, r => chat().HandleAsync(r)));
        app.MapPost("/v1/messages/count_tokens", GatewayEndpoint.Keyed(CallerDialect.Anthropic,
            r => counting().CountAsync(r, source => AnthropicRequestDecoder.Decode(source, forCounting: true), "input_tokens")));
        app.MapPost("/v1beta/models/{**rest}", Gemini<GeminiEndpoints>(app, (e, r) => e.DispatchAsync(r, Route(r, "rest"))));
        app.MapGet("/v1beta/models", Gemini<GeminiEndpoints>(app, (e, r) => e.ListAsync(r)));
        app.MapGet("/v1beta/models/{**rest}", Gemini<GeminiEndpoints>(app, (e, r) => e.GetAsync(r, Route(r, "rest"))));
        app.MapPost("/v1/embeddings", GatewayEndpoint.Keyed(CallerDialect.OpenAi, r => embeddings().HandleAsync(r)));
        app.MapGet("/v1/models", (HttpContext http, ModelCatalog catalog, ProviderDirectory providers) => ModelsEndpoint.WriteAsync(http, catalog, providers));

        app.MapGet("/api/v1/balance", GatewayEndpoint.Keyed(CallerDialect.OpenAi, r => AccountEndpoints.BalanceAsync(r, accounts(), ledger())));
        app.MapGet("/api/v1/transactions", GatewayEndpoint.Keyed(CallerDialect.OpenAi, r => AccountEndpoints.TransactionsAsync(r, ledgerStore())));
        app.MapGet("/api/v1/generations/{id}", GatewayEndpoint.Keyed(CallerDialect.OpenAi,
            r => AccountEndpoints.GenerationAsync(r, ledgerStore(), (string)r.Http.Request.RouteValues["id"]!)));

        app.MapGet("/api/v1/keys", Api<KeyEndpoints>(app, (e, r) => e.ListAsync(r)));
        app.MapPost("/api/v1/keys", Api<KeyEndpoints>(app, (e, r) => e.CreateAsync(r)));
        app.MapGet("/api/v1/keys/{id}", Api<KeyEndpoints>(app, (e, r) => e.GetAsync(r, Route(r, "id"))));
        app.MapPatch("/api/v1/keys/{id}", Api<KeyEndpoints>(app, (e, r) => e.UpdateAsync(r, Route(r, "id"))));
        app.MapDelete("/api/v1/keys/{id}", Api<KeyEndpoints>(app, (e, r) => e.DeleteAsync(r, Route(r, "id"))));

        app.MapGet("/api/v1/provider-keys", Api<ProviderKeyEndpoints>(app, (e, r) => e.ListAsync(r)));
        app.MapPut("/api/v1/provider-keys/{provider}", Api<ProviderKeyEndpoints>(app, (e, r) => e.PutAsync(r, Route(r, "provider"))));
        app.MapDelete("/api/v1/provider-keys/{provider}", Api<ProviderKeyEndpoints>(app, (e, r) => e.DeleteAsync(r, Route(r, "provider"))));

        app.MapPost("/api/v1/admin/accounts", AdminEndpoints.Admin(AdminEndpoints.CreateAccountAsync));
        app.MapPost("/api/v1/admin/accounts/{id}/credits", AdminEndpoints.Admin(http => AdminEndpoints.AddCreditsAsync(http, (string)http.Request.RouteValues["id"]!)));
        app.MapGet("/api/v1/admin/accounts/{id}", AdminEndpoints.Admin(http => AdminEndpoints.GetAccountAsync(http, (string)http.Request.RouteValues["id"]!)));

        app.MapReadiness();
        app.MapTelemetry();

        app.MapPassthrough();
    }
}

public sealed record HealthStatus(string Status);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthStatus))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class HealthJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
