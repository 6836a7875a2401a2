using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;
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
    public static void MapGateway(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", GatewayEndpoint.Keyed(CallerDialect.OpenAi,
            r => r.Http.RequestServices.GetRequiredService<ChatCompletionHandler>().HandleAsync(r)));
        app.MapPost("/v1/embeddings", GatewayEndpoint.Keyed(CallerDialect.OpenAi,
            r => r.Http.RequestServices.GetRequiredService<EmbeddingsHandler>().HandleAsync(r)));
        app.MapGet("/v1/models", (HttpContext http, ModelCatalog catalog, ProviderDirectory providers) => ModelsEndpoint.WriteAsync(http, catalog, providers));

        app.MapGet("/api/v1/balance", GatewayEndpoint.Keyed(CallerDialect.OpenAi,
            r => AccountEndpoints.BalanceAsync(r, r.Http.RequestServices.GetRequiredService<IAccountStore>(), r.Http.RequestServices.GetRequiredService<Ledger>())));
        app.MapGet("/api/v1/transactions", GatewayEndpoint.Keyed(CallerDialect.OpenAi,
            r => AccountEndpoints.TransactionsAsync(r, r.Http.RequestServices.GetRequiredService<ILedgerStore>())));
        app.MapGet("/api/v1/generations/{id}", GatewayEndpoint.Keyed(CallerDialect.OpenAi,
            r => AccountEndpoints.GenerationAsync(r, r.Http.RequestServices.GetRequiredService<ILedgerStore>(), (string)r.Http.Request.RouteValues["id"]!)));

        app.MapPost("/api/v1/admin/accounts", AdminEndpoints.Admin(AdminEndpoints.CreateAccountAsync));
        app.MapPost("/api/v1/admin/accounts/{id}/credits", AdminEndpoints.Admin(http => AdminEndpoints.AddCreditsAsync(http, (string)http.Request.RouteValues["id"]!)));
        app.MapGet("/api/v1/admin/accounts/{id}", AdminEndpoints.Admin(http => AdminEndpoints.GetAccountAsync(http, (string)http.Request.RouteValues["id"]!)));

        app.MapGet("/health", () => Results.Json(new HealthStatus("ok"), HealthJsonContext.Default.HealthStatus));
        app.MapGet("/health/ready", async (IDatabaseHealth database, CancellationToken ct) => await database.IsReadyAsync(ct)
            ? Results.Json(new HealthStatus("ready"), HealthJsonContext.Default.HealthStatus)
            : Results.Json(new HealthStatus("database unavailable"), HealthJsonContext.Default.HealthStatus, statusCode: 503));

        app.MapPassthrough();
    }
}

public sealed record HealthStatus(string Status);

[System.Text.Json.Serialization.JsonSerializable(typeof(HealthStatus))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class HealthJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
