using System.Diagnostics;
using ARouter.Billing;
using ARouter.Storage;

namespace ARouter.Observability;

/// <summary>
/// What one gateway request reports: its span (a child of ASP.NET Core's server span), one child span per provider
/// call, the request and upstream metrics, and the facts for its completion log line. Created by
/// <see cref="Endpoints.GatewayEndpoint"/>; a provider call is tied to the reservation that pays for it, so every
/// endpoint (chat, embeddings, passthrough) reports the same way without code of its own. Attributes are metadata
/// only: never a prompt, a completion, a key or the query string.
/// </summary>
public sealed class RequestTelemetry
{
    public static readonly ActivitySource Source = new(GatewayMetrics.MeterName);

    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _clock;
    private int _attempts;

    public RequestTelemetry(GatewayMetrics metrics, TimeProvider clock, string endpoint, string dialect, string requestId)
    {
        _metrics = metrics;
        _clock = clock;
        Endpoint = endpoint;
        Dialect = dialect;
        Activity = Source.StartActivity("gateway.request");
        if (Activity is { IsAllDataRequested: true })
        {
            Activity.SetTag("arouter.endpoint", endpoint);
            Activity.SetTag("arouter.dialect", dialect);
            Activity.SetTag("arouter.request_id", requestId);
        }
    }

    public Activity? Activity { get; }
    public string Endpoint { get; }
    public string Dialect { get; }
    /// <summary>The provider and model of the last provider call (the one that answered, after fallbacks).</summary>
    public string Provider { get; private set; } = "none";
    public string Model { get; private set; } = "none";
    public int PromptTokens { get; private set; }
    public int CompletionTokens { get; private set; }
    public long ChargedNanos { get; private set; }

    /// <summary>Opens the span of one provider call paid for by <paramref name="reservation"/>; it ends when the reservation does.</summary>
    public Reservation Track(Reservation reservation, string provider, string model)
    {
        var index = _attempts++;
        _metrics.AttemptStarted(provider, index > 0);
        var span = Source.StartActivity("upstream.attempt", ActivityKind.Internal, Activity?.Context ?? default);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("arouter.provider", provider);
            span.SetTag("arouter.model", model);
            span.SetTag("arouter.fallback_index", index);
        }
        reservation.Ended = new UpstreamAttempt(this, span, provider, model, _clock.GetTimestamp()).End;
        return reservation;
    }

    public void RateLimited() => _metrics.RateLimited(Endpoint);

    /// <summary>Ends the request: its metrics and span. The completion log line is written by the endpoint from the same facts.</summary>
    public void Complete(int status, TimeSpan elapsed)
    {
        _metrics.RequestCompleted(Endpoint, Dialect, Provider, status, elapsed);
        if (Activity is null) return;
        if (Activity.IsAllDataRequested)
        {
            Activity.SetTag("http.response.status_code", status);
            Activity.SetTag("arouter.provider", Provider);
            Activity.SetTag("arouter.model", Model);
            Activity.SetTag("arouter.tokens.prompt", PromptTokens);
            Activity.SetTag("arouter.tokens.completion", CompletionTokens);
            Activity.SetTag("arouter.cost_usd", (double)Money.FromNanos(ChargedNanos));
            Activity.SetTag("arouter.attempts", _attempts);
        }
        if (status >= 500) Activity.SetStatus(ActivityStatusCode.Error);
        Activity.Stop();
    }

    private sealed class UpstreamAttempt(RequestTelemetry request, Activity? span, string provider, string model, long started)
    {
        public void End(GenerationRecord? record, long chargedNanos)
        {
            var elapsed = request._clock.GetElapsedTime(started);
            var status = record?.Status ?? 0;
            var errorKind = record?.ErrorType ?? (status >= 500 ? "Internal" : null);
            var prompt = record?.PromptTokens ?? 0;
            var completion = record?.CompletionTokens ?? 0;
            request.Provider = provider;
            request.Model = record?.Model ?? model;
            request.PromptTokens = prompt;
            request.CompletionTokens = completion;
            request.ChargedNanos = chargedNanos;
            request._metrics.AttemptEnded(provider, request.Model, errorKind, elapsed, prompt, completion, chargedNanos);
            if (span is null) return;
            if (span.IsAllDataRequested)
            {
                span.SetTag("arouter.status", status);
                span.SetTag("arouter.latency_ms", (long)elapsed.TotalMilliseconds);
                span.SetTag("arouter.tokens.prompt", prompt);
                span.SetTag("arouter.tokens.completion", completion);
                if (errorKind is not null) span.SetTag("error.type", errorKind);
            }
            if (errorKind is not null) span.SetStatus(ActivityStatusCode.Error);
            span.Stop();
        }
    }
}
