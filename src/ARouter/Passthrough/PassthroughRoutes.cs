using ARouter.Catalog;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Endpoints;
using ARouter.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ARouter.Passthrough;

/// <summary>
/// Registers <c>/{provider}/{**path}</c> for the catalog's provider slugs only, so it never shadows the
/// gateway's own routes; any other first segment that is not the gateway's gets a 404 in OpenAI's shape.
/// </summary>
public static class PassthroughRoutes
{
    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    /// <summary>First path segments the gateway serves itself; never a provider.</summary>
    private static readonly HashSet<string> GatewaySegments = new(["v1", "v1beta", "api", "health", "openapi", "docs", "metrics"], StringComparer.OrdinalIgnoreCase);

    public static IServiceCollection AddPassthrough(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<PassthroughOptions>(configuration.GetSection("ARouter:Passthrough"));
        services.AddHttpForwarder();
        // YARP logs destination URIs at Information; paths and queries are the caller's, keep them out of logs.
        services.AddLogging(logging => logging.AddFilter("Yarp", LogLevel.Warning));
        services.AddSingleton<PassthroughInvoker>();
        services.AddSingleton<PassthroughPricing>();
        services.AddSingleton<PassthroughEndpoint>();
        return services;
    }

    public static void MapPassthrough(this IEndpointRouteBuilder app)
    {
        var slugs = app.ServiceProvider.GetRequiredService<ModelCatalog>().Providers.Select(p => p.Slug)
            .Where(s => !GatewaySegments.Contains(s)).ToHashSet(StringComparer.OrdinalIgnoreCase);

        var providerRoute = RoutePatternFactory.Parse("/{provider}/{**path}", defaults: null, parameterPolicies: new RouteValueDictionary { ["provider"] = new SegmentConstraint(s => slugs.Contains(s)) });
        var passthrough = EndpointMap.Shared<PassthroughEndpoint>(app);
        app.Map(providerRoute, GatewayEndpoint.Keyed(CallerDialect.OpenAi, r => passthrough().HandleAsync(r))).WithMetadata(new HttpMethodMetadata(Methods));

        var otherRoute = RoutePatternFactory.Parse("/{segment}/{**path}", defaults: null,
            parameterPolicies: new RouteValueDictionary { ["segment"] = new SegmentConstraint(s => !slugs.Contains(s) && !GatewaySegments.Contains(s)) });
        app.Map(otherRoute, http => UnknownProviderAsync(http, slugs));
    }

    /// <summary>No key needed to learn a provider does not exist; a path trying to escape still gets its 400.</summary>
    private static Task UnknownProviderAsync(HttpContext http, IReadOnlySet<string> slugs)
    {
        http.Response.Headers["X-Request-Id"] = Ids.NewRequestId();
        var error = PassthroughPath.FindEscape(PassthroughPath.RawTarget(http).Path) is { } escape
            ? GatewayError.BadRequest($"Refused provider path: {escape}.")
            : PassthroughEndpoint.UnknownProvider((string?)http.Request.RouteValues["segment"] ?? "", slugs);
        return ErrorResponder.WriteAsync(http, CallerDialect.OpenAi, error);
    }

    private sealed class SegmentConstraint(Func<string, bool> accepts) : IRouteConstraint
    {
        public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection)
            => values.TryGetValue(routeKey, out var value) && value is string segment && accepts(segment);
    }
}
