using System.Net;
using ARouter.Auth;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Dashboard;
using ARouter.Limits;
using ARouter.Endpoints;
using ARouter.Hosting;
using ARouter.Observability;
using ARouter.Observability.Logging;
using ARouter.Passthrough;
using ARouter.Pipeline;
using ARouter.Routing;
using ARouter.Scaling;
using ARouter.Storage;
using ARouter.Upstream;
using ARouter.Upstream.Wires;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ARouter;

/// <summary>The composition root: configuration, services and routes of a gateway process.</summary>
public static class GatewayApp
{
    public const string DefaultUrl = "http://127.0.0.1:8080";
    public const string DefaultDatabase = StoreSelector.DefaultDatabase;

    /// <summary>Builds the gateway. <paramref name="overrides"/> and <paramref name="configure"/> let tests add configuration and services last.</summary>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string?>? overrides = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (overrides is not null) builder.Configuration.AddInMemoryCollection(overrides);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey])) builder.WebHost.UseUrls(DefaultUrl);

        ConfigureLogging(builder.Logging);
        var gatewayOptions = builder.Configuration.GetSection("ARouter").Get<GatewayOptions>() ?? new GatewayOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = gatewayOptions.MaxRequestBodyBytes;
            // Set on purpose rather than left to defaults: over-long headers and slow clients (slow-loris) are cut.
            kestrel.Limits.MaxRequestHeadersTotalSize = gatewayOptions.MaxRequestHeadersTotalBytes;
            kestrel.Limits.MaxRequestHeaderCount = gatewayOptions.MaxRequestHeaderCount;
            kestrel.Limits.MaxRequestLineSize = gatewayOptions.MaxRequestLineBytes;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(gatewayOptions.RequestHeadersTimeoutSeconds);
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(gatewayOptions.MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(gatewayOptions.MinRequestBodyGraceSeconds));
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(gatewayOptions.KeepAliveTimeoutSeconds);
        });
        AddServices(builder.Services, builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseDashboardSignIn();
        app.MapGateway();
        app.MapApiReference();
        app.MapDashboard();
        return app;
    }

    public static void AddServices(IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<GatewayOptions>(configuration.GetSection("ARouter"));
        services.Configure<UpstreamOptions>(configuration.GetSection("ARouter:Upstream"));
        services.Configure<RateLimitOptions>(configuration.GetSection("ARouter:Limits"));
        services.AddSingleton(TimeProvider.System);

        services.AddSingleton(_ => ModelCatalog.Load(configuration["AROUTER_CATALOG"]));
        services.AddSingleton<ProviderDirectory>();
        services.AddSingleton<ModelResolver>();
        services.AddSingleton<ProviderAccess>();
        services.Configure<AutoOptions>(configuration.GetSection("ARouter:Auto"));
        services.AddSingleton<AutoRouter>();
        services.AddSingleton(_ => ProviderKeyCipher.FromConfiguration(configuration));
        services.AddSingleton<ProviderCredentials>();
        services.AddSingleton<KeyEndpoints>();
        services.AddSingleton<TokenCountHandler>();
        services.AddApiReference();
        services.AddSingleton<GeminiEndpoints>();
        services.AddSingleton<ProviderKeyEndpoints>();
        services.AddHostedService<KeyCacheRefresher>();

        // Created by the container so it is disposed with it (a PostgreSQL store holds a connection pool).
        services.AddSingleton(_ => StoreSelector.Open(configuration));
        services.AddSingleton<IAccountStore>(sp => sp.GetRequiredService<IStore>());
        services.AddSingleton<IKeyStore>(sp => sp.GetRequiredService<IStore>());
        services.AddSingleton<IProviderKeyStore>(sp => sp.GetRequiredService<IStore>());
        services.AddSingleton<ILedgerStore>(sp => sp.GetRequiredService<IStore>());
        services.AddSingleton<IDatabaseHealth>(sp => sp.GetRequiredService<IStore>());
        services.AddSingleton<ILoginStore>(sp => sp.GetRequiredService<IStore>());
        services.AddSingleton<IActivityStore>(sp => sp.GetRequiredService<IStore>());

        services.AddSingleton<KeyAuthenticator>();
        services.AddSingleton<AccountKeys>();
        services.AddSingleton<IRateLimiter, GcraRateLimiter>();
        services.AddSingleton<KeyRateLimits>();
        services.AddSingleton<TokenEstimator>();
        services.Configure<TokenizerOptions>(configuration.GetSection("ARouter:Tokenizer"));
        services.AddSingleton<LedgerWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<LedgerWriter>());
        services.AddSingleton(sp =>
        {
            var ledger = ActivatorUtilities.CreateInstance<Ledger>(sp);
            sp.GetRequiredService<LedgerWriter>().Refresh = ledger.RefreshAsync;
            return ledger;
        });
        services.AddSingleton<CreditCheck>();

        services.AddHttpClient(UpstreamClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(UpstreamClient.CreateHandler)
            // The default handlers log request URIs, which can carry keys (?key=): never log them.
            .RemoveAllLoggers();
        services.AddSingleton<UpstreamClient>();
        services.Configure<HealthOptions>(configuration.GetSection("ARouter:Health"));
        services.AddSingleton<ProviderHealth>();
        services.AddSingleton<ProviderObservations>();
        services.AddSingleton<CandidateRanking>();
        services.Configure<MediaOptions>(configuration.GetSection("ARouter:Media"));
        services.AddHttpClient(MediaFetcher.HttpClientName).ConfigurePrimaryHttpMessageHandler(sp => MediaFetcher.CreateHandler(sp.GetRequiredService<IOptions<MediaOptions>>().Value.AllowPrivateAddresses)).RemoveAllLoggers();
        services.AddSingleton<MediaFetcher>();
        services.AddSingleton<CompletionRelay>();
        services.AddSingleton<ChatWires>();
        services.AddSingleton<StreamRelay>();
        services.AddSingleton<ChatCompletionHandler>();
        services.AddSingleton<EmbeddingsHandler>();
        services.AddPassthrough(configuration);
        services.Configure<ShutdownOptions>(configuration.GetSection("ARouter:Shutdown"));
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) => host.ShutdownTimeout = shutdown.Value.Drain + ShutdownOptions.SettleMargin);
        services.AddSingleton<ShutdownDrain>();
        services.AddTelemetry(configuration);
        services.AddReadiness();
        services.AddScaling(configuration);
        services.AddDashboard(configuration);
    }

    /// <summary>Creates the schema if needed; run before serving.</summary>
    public static async Task PrepareAsync(WebApplication app)
    {
        var store = app.Services.GetRequiredService<IStore>();
        await store.MigrateAsync(CancellationToken.None);
        _ = app.Services.GetRequiredService<Ledger>();
        _ = app.Services.GetRequiredService<ShutdownDrain>();
        // The ledger queue gauge is on /metrics from the first scrape, not from the first request.
        _ = app.Services.GetRequiredService<GatewayMetrics>();
        // A missing or bad secrets key stops the start, not a caller's first BYOK request.
        _ = app.Services.GetRequiredService<ProviderKeyCipher>();
        // The o200k vocabulary (~5 MB) is loaded on the first exact count, which many gateways never need; ARouter:Tokenizer:WarmUp loads it now.
        if (app.Services.GetRequiredService<IOptions<TokenizerOptions>>().Value.WarmUp) app.Services.GetRequiredService<TokenEstimator>().WarmUpInBackground();
        var providers = app.Services.GetRequiredService<ProviderDirectory>().All.Where(p => p.HasKey).Select(p => p.Provider.Slug).Order().ToList();
        Log.Started(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ARouter"), store.Engine, providers.Count, string.Join(", ", providers));
    }

    private static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.UseBatchedConsole();
        // Request lines include query strings, which may carry a key (?key=lr_live_...): keep them out of logs.
        // Off, not Warning: while this category is enabled at all, ASP.NET Core creates an Activity for every request even with tracing off.
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        logging.AddFilter("Microsoft.AspNetCore.Routing", LogLevel.Warning);
        logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);
    }
}
