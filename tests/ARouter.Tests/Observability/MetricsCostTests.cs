using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Observability;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ARouter.Tests.Observability;

/// <summary>The hot path: recording a request's metrics, with the OpenTelemetry SDK listening, allocates nothing.</summary>
public sealed class MetricsCostTests
{
    [Fact]
    public void Recording_a_requests_metrics_allocates_nothing_once_its_series_exist()
    {
        var exported = new List<Metric>();
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(GatewayMetrics.MeterName).AddInMemoryExporter(exported));
        using var provider = services.BuildServiceProvider();
        _ = provider.GetRequiredService<MeterProvider>();
        var catalog = ModelCatalog.Load(null);
        var metrics = new GatewayMetrics(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), catalog, new LedgerWriter(null!, NullLogger<LedgerWriter>.Instance));
        var model = catalog.FindModel("deepseek/deepseek-chat")!.Id;

        void OneRequest()
        {
            metrics.AttemptStarted("deepseek", isFallback: true);
            metrics.AttemptEnded("deepseek", model, "UpstreamFailed", TimeSpan.FromMilliseconds(80), 12, 7, 6000);
            metrics.RateLimited("/v1/chat/completions");
            metrics.RequestCompleted("/v1/chat/completions", "openai", "deepseek", 200, TimeSpan.FromMilliseconds(120));
        }

        for (var i = 0; i < 100; i++) OneRequest();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++) OneRequest();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        provider.GetRequiredService<MeterProvider>().ForceFlush();
        Assert.Contains(exported, m => m.Name == "arouter.requests");
    }
}
