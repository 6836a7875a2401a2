using System.Diagnostics;
using System.Diagnostics.Metrics;
using ARouter.Billing;
using ARouter.Catalog;

namespace ARouter.Observability;

/// <summary>
/// The gateway's own instruments (meter <c>ARouter</c>), exported at <c>/metrics</c> and over OTLP. Every label is
/// low-cardinality by construction: route templates, catalog provider and model ids, HTTP statuses and
/// <see cref="Dialects.Canonical.ErrorStage"/> names — never a key, an account, a caller-chosen string or content.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "ARouter";
    /// <summary>The label for a model the catalog does not list (a passthrough caller can name anything).</summary>
    public const string UnlistedModel = "unlisted";

    // Boxed once: a TagList holds object values, and boxing an HTTP status per request would allocate on the hot path.
    private static readonly object[] BoxedStatuses = Enumerable.Range(0, 600).Select(i => (object)i).ToArray();

    private static readonly double[] LatencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    private readonly ModelCatalog _catalog;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Counter<long> _rateLimited;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _upstreamDuration;
    private readonly Counter<long> _upstreamErrors;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _tokens;
    private readonly Counter<double> _cost;

    public GatewayMetrics(IMeterFactory meters, ModelCatalog catalog, LedgerWriter ledgerWriter)
    {
        _catalog = catalog;
        var meter = meters.Create(MeterName);
        var latency = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };
        _requests = meter.CreateCounter<long>("arouter.requests", "{request}", "Gateway requests by endpoint, caller dialect and HTTP status.");
        _requestDuration = meter.CreateHistogram("arouter.request.duration", "s", "Time from request start to the end of the response, by endpoint and the provider that served it.", advice: latency);
        _rateLimited = meter.CreateCounter<long>("arouter.rate_limited", "{request}", "Requests refused with 429 by a key's rate limit.");
        _attempts = meter.CreateCounter<long>("arouter.upstream.attempts", "{attempt}", "Calls to a provider (each fallback candidate that got as far as the provider counts once).");
        _upstreamDuration = meter.CreateHistogram("arouter.upstream.duration", "s", "Duration of one provider call, from reservation to settle (streams included), by provider.", advice: latency);
        _upstreamErrors = meter.CreateCounter<long>("arouter.upstream.errors", "{error}", "Provider calls that failed, by provider and kind (the gateway's error stage).");
        _fallbacks = meter.CreateCounter<long>("arouter.fallbacks", "{fallback}", "Provider calls made after an earlier candidate of the same request had failed.");
        _tokens = meter.CreateCounter<long>("arouter.tokens", "{token}", "Tokens billed, by provider, model and type (prompt or completion).");
        _cost = meter.CreateCounter<double>("arouter.cost.usd", null, "Credits charged in USD, by provider and model.");
        meter.CreateObservableGauge("arouter.ledger.queue_depth", () => ledgerWriter.QueueDepth, "{entry}", "Ledger entries waiting for the background writer's next commit.");
    }

    public void RequestCompleted(string endpoint, string dialect, string provider, int status, TimeSpan elapsed)
    {
        var tags = new TagList { { "endpoint", endpoint }, { "dialect", dialect }, { "status", Boxed(status) } };
        _requests.Add(1, tags);
        _requestDuration.Record(elapsed.TotalSeconds, new TagList { { "endpoint", endpoint }, { "provider", provider } });
    }

    public void RateLimited(string endpoint) => _rateLimited.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint));

    public void AttemptStarted(string provider, bool isFallback)
    {
        var tag = new KeyValuePair<string, object?>("provider", provider);
        _attempts.Add(1, tag);
        if (isFallback) _fallbacks.Add(1, tag);
    }

    /// <summary>One provider call ended; <paramref name="errorKind"/> is null when it succeeded (or the caller left).</summary>
    public void AttemptEnded(string provider, string model, string? errorKind, TimeSpan elapsed, int promptTokens, int completionTokens, long chargedNanos)
    {
        var byProvider = new KeyValuePair<string, object?>("provider", provider);
        _upstreamDuration.Record(elapsed.TotalSeconds, byProvider);
        if (errorKind is not null) _upstreamErrors.Add(1, byProvider, new KeyValuePair<string, object?>("kind", errorKind));

        var label = ModelLabel(model);
        if (promptTokens > 0) _tokens.Add(promptTokens, new TagList { byProvider, { "model", label }, { "type", "prompt" } });
        if (completionTokens > 0) _tokens.Add(completionTokens, new TagList { byProvider, { "model", label }, { "type", "completion" } });
        if (chargedNanos > 0) _cost.Add((double)Money.FromNanos(chargedNanos), byProvider, new KeyValuePair<string, object?>("model", label));
    }

    /// <summary>The catalog's own string for a listed model (no allocation, bounded set), else <see cref="UnlistedModel"/>.</summary>
    private string ModelLabel(string model) => _catalog.FindModel(model)?.Id ?? UnlistedModel;

    private static object Boxed(int status) => (uint)status < BoxedStatuses.Length ? BoxedStatuses[status] : status;
}
