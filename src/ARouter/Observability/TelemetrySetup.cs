using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ARouter.Observability;

/// <summary>
/// OpenTelemetry for the gateway: metrics always (Prometheus text at <c>/metrics</c>), and traces and logs over OTLP
/// only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set — without an exporter no span is even created, so tracing
/// costs nothing by default. The exporter reads the standard <c>OTEL_*</c> variables (protocol, headers, service name).
/// </summary>
public static class TelemetrySetup
{
    public const string MetricsPath = "/metrics";
    private const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static void AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<GatewayMetrics>();
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, name the service instead.
                if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"]))
                    resource.AddService("arouter", serviceInstanceId: Environment.MachineName + "-" + Environment.ProcessId);
            })
            .WithMetrics(metrics =>
            {
                // ASP.NET Core's own request and connection metrics (http.route is the template, never the raw path) beside the gateway's.
                metrics.AddMeter(GatewayMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                    .AddPrometheusExporter(prometheus =>
                    {
                        // A scrape reads current numbers; Prometheus scrapes every few seconds, so a cache buys nothing.
                        prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                    });
                ((IDeferredMeterProviderBuilder)metrics).Configure((services, builder) => builder.AddView(OnlyThisHost(services.GetRequiredService<IMeterFactory>())));
                if (otlp) metrics.AddOtlpExporter();
            });
        if (!otlp) return;
        telemetry
            .WithTracing(tracing => AddGatewayInstrumentation(tracing).AddOtlpExporter())
            .WithLogging(logging => logging.AddOtlpExporter());
    }

    /// <summary>The gateway's spans plus ASP.NET Core's and HttpClient's, with the query string (which can carry <c>?key=</c>) taken off every URL.</summary>
    public static TracerProviderBuilder AddGatewayInstrumentation(TracerProviderBuilder tracing)
    {
        // OpenTelemetry's HttpClient instrumentation injects traceparent itself whenever the default propagator is not
        // plain W3C trace context (the SDK's default adds baggage), past the upstream handler's no-output propagator:
        // providers are third parties and get no trace context, so only W3C trace context is used (for incoming requests).
        Sdk.SetDefaultTextMapPropagator(new TraceContextPropagator());
        return AddInstrumentation(tracing);
    }

    private static TracerProviderBuilder AddInstrumentation(TracerProviderBuilder tracing) => tracing
        .AddSource(RequestTelemetry.Source.Name)
        .AddAspNetCoreInstrumentation(aspNetCore =>
        {
            aspNetCore.RecordException = false;
            // Scrapes and health probes would drown the interesting spans.
            aspNetCore.Filter = http => !http.Request.Path.StartsWithSegments(MetricsPath) && !http.Request.Path.StartsWithSegments("/health");
            aspNetCore.EnrichWithHttpRequest = (activity, _) => activity.SetTag("url.query", null);
        })
        .AddHttpClientInstrumentation(httpClient =>
        {
            httpClient.RecordException = false;
            httpClient.EnrichWithHttpRequestMessage = (activity, request) =>
            {
                if (request.RequestUri is { } uri) activity.SetTag("url.full", uri.GetLeftPart(UriPartial.Path));
            };
        });

    public static void MapTelemetry(this IEndpointRouteBuilder app) => app.MapPrometheusScrapingEndpoint(MetricsPath);

    /// <summary>
    /// Meters created through this host's <see cref="IMeterFactory"/> (and process-wide ones) only. A
    /// <see cref="Meter"/> listener hears every meter of that name in the process, so two gateways in one process
    /// (as in the tests) would otherwise report each other's requests.
    /// </summary>
    private static Func<Instrument, MetricStreamConfiguration?> OnlyThisHost(IMeterFactory factory)
        => instrument => instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, factory) ? null : MetricStreamConfiguration.Drop;
}
