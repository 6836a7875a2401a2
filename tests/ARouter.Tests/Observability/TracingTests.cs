using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using ARouter.Observability;
using ARouter.Tests.FakeUpstream;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace ARouter.Tests.Observability;

/// <summary>A gateway whose spans go to memory, through the same instrumentation (and redaction) the OTLP exporter gets.</summary>
public sealed class TracedGateway : IAsyncLifetime
{
    public ConcurrentQueue<Activity> Spans { get; } = new();
    public FakeProviders Fakes { get; private set; } = null!;
    public GatewayHost Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Fakes = await FakeProviders.StartAsync();
        Gateway = await GatewayHost.StartAsync(Fakes.GatewayConfiguration(), configure: builder => builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => TelemetrySetup.AddGatewayInstrumentation(tracing).AddProcessor(new SimpleActivityExportProcessor(new QueueExporter(Spans)))));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Fakes.DisposeAsync();
    }

    private sealed class QueueExporter(ConcurrentQueue<Activity> spans) : BaseExporter<Activity>
    {
        public override ExportResult Export(in Batch<Activity> batch)
        {
            foreach (var span in batch) spans.Enqueue(span);
            return ExportResult.Success;
        }
    }
}

/// <summary>One span per gateway request with a child per provider call; no prompt, completion, key or query string in any span.</summary>
public sealed class TracingTests(TracedGateway fixture) : IClassFixture<TracedGateway>
{
    private const string Prompt = "TRACE-PROMPT-CANARY-41d7";
    private const string Reply = "TRACE-COMPLETION-CANARY-77aa";
    private const string DeepSeek = "deepseek/deepseek-chat";

    /// <summary>With tracing on, a native call still carries only what the caller sent: its own trace context, or none.</summary>
    [Fact]
    public async Task A_passthrough_call_carries_the_callers_trace_context_and_never_the_gateways()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        const string traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        var body = GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("openai").UpstreamId);

        using (var withContext = fixture.Gateway.Request(HttpMethod.Post, "/openai/v1/chat/completions", account.Key, body))
        {
            withContext.Headers.Add("traceparent", traceparent);
            using var response = await fixture.Gateway.Client.SendAsync(withContext);
            Assert.Equal(200, (int)response.StatusCode);
        }
        Assert.Equal(traceparent, fixture.Fakes.RequestsTo("openai")[^1].Headers["traceparent"]);

        // This test process traces its own HTTP calls too: a client that sends no trace context, as a caller may.
        using var plainCaller = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator() })
        {
            BaseAddress = fixture.Gateway.BaseAddress,
        };
        using (var without = fixture.Gateway.Request(HttpMethod.Post, "/openai/v1/chat/completions", account.Key, body))
        {
            using var response = await plainCaller.SendAsync(without);
            Assert.Equal(200, (int)response.StatusCode);
        }
        Assert.DoesNotContain(fixture.Fakes.RequestsTo("openai")[^1].Headers.Keys, name => name is "traceparent" or "tracestate" or "request-id" or "baggage");
    }

    [Fact]
    public async Task A_fallback_request_has_one_gateway_span_with_a_child_per_provider_call()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var grok = GatewayWithFakes.ChatModelOf("xai").Id;
        fixture.Fakes.Script("xai", FakeScript.Default with { FailStatus = 503 });
        fixture.Fakes.Script("deepseek", FakeScript.Default with { Reply = Reply });
        try
        {
            var body = JsonSerializer.Serialize(new { model = grok, models = new[] { DeepSeek }, max_tokens = 50, messages = new[] { new { role = "user", content = Prompt } } });
            using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, body);
            using var response = await fixture.Gateway.Client.SendAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var cost = answer.RootElement.GetProperty("usage").GetProperty("cost").GetDouble();

            var spans = await TraceOfAsync(response.Headers.GetValues("X-Request-Id").Single());
            var gateway = Assert.Single(spans, s => s.OperationName == "gateway.request");
            // A child of ASP.NET Core's server span for the same request.
            Assert.Equal("Microsoft.AspNetCore", Assert.Single(spans, s => s.SpanId == gateway.ParentSpanId).Source.Name);
            Assert.Equal("/v1/chat/completions", gateway.GetTagItem("arouter.endpoint"));
            Assert.Equal("openai", gateway.GetTagItem("arouter.dialect"));
            Assert.Equal(DeepSeek, gateway.GetTagItem("arouter.model"));
            Assert.Equal("deepseek", gateway.GetTagItem("arouter.provider"));
            Assert.Equal(200, gateway.GetTagItem("http.response.status_code"));
            Assert.Equal(12, gateway.GetTagItem("arouter.tokens.prompt"));
            Assert.Equal(7, gateway.GetTagItem("arouter.tokens.completion"));
            Assert.Equal(cost, (double)gateway.GetTagItem("arouter.cost_usd")!, 9);

            var attempts = spans.Where(s => s.OperationName == "upstream.attempt").OrderBy(s => (int)s.GetTagItem("arouter.fallback_index")!).ToList();
            Assert.Equal(2, attempts.Count);
            // With tracing on, the trace context still stays inside: a provider is a third party.
            var received = fixture.Fakes.RequestsTo("deepseek")[^1];
            Assert.DoesNotContain(received.Headers.Keys, name => name.Equals("traceparent", StringComparison.OrdinalIgnoreCase) || name.Equals("tracestate", StringComparison.OrdinalIgnoreCase));
            Assert.All(attempts, a => Assert.Equal(gateway.SpanId, a.ParentSpanId));
            Assert.Equal(("xai", grok), ((string)attempts[0].GetTagItem("arouter.provider")!, (string)attempts[0].GetTagItem("arouter.model")!));
            Assert.Equal(ActivityStatusCode.Error, attempts[0].Status);
            Assert.NotNull(attempts[0].GetTagItem("error.type"));
            Assert.Equal(("deepseek", DeepSeek, 200), ((string)attempts[1].GetTagItem("arouter.provider")!, (string)attempts[1].GetTagItem("arouter.model")!, (int)attempts[1].GetTagItem("arouter.status")!));
            Assert.True((long)attempts[1].GetTagItem("arouter.latency_ms")! >= 0);
            // The HTTP client calls to both providers are in the same trace, under the gateway's span.
            Assert.Equal(2, spans.Count(s => s.Source.Name == "System.Net.Http" && s.ParentSpanId == gateway.SpanId));

            AssertNothingSecret(spans, account.Key);
        }
        finally
        {
            fixture.Fakes.Reset();
        }
    }

    [Fact]
    public async Task A_key_in_the_query_string_never_reaches_a_span()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var spans = new List<Activity>();
        var body = JsonSerializer.Serialize(new { contents = new[] { new { role = "user", parts = new[] { new { text = Prompt } } } } });

        // The Gemini SDK's ?key= on a gateway endpoint, and on a passthrough call that is forwarded upstream with its query.
        foreach (var path in new[] { $"/v1beta/models/{Uri.EscapeDataString(DeepSeek)}:generateContent?key={account.Key}", $"/google/v1beta/models/gemini-2.5-flash:generateContent?key={account.Key}&alt=json" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            using var response = await fixture.Gateway.Client.SendAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
            spans.AddRange(await TraceOfAsync(response.Headers.GetValues("X-Request-Id").Single()));
        }

        Assert.Equal(2, spans.Count(s => s.OperationName == "gateway.request"));
        Assert.Contains(spans, s => s.Source.Name == "System.Net.Http" && ((string?)s.GetTagItem("url.full"))?.Contains("/v1beta/models/gemini-2.5-flash:generateContent") == true);
        AssertNothingSecret(spans, account.Key);
    }

    private static void AssertNothingSecret(IReadOnlyList<Activity> spans, string key)
    {
        var text = string.Join('\n', spans.SelectMany(s => s.TagObjects.Select(t => $"{s.OperationName} {s.DisplayName} {t.Key}={t.Value}")
            .Concat(s.Events.Select(e => e.Name)).Append(s.StatusDescription ?? "")));
        Assert.Contains("gateway.request", text);
        foreach (var secret in new[] { Prompt, Reply, key[..16], "sk-fake-", "key=" })
            Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain(spans.SelectMany(s => s.TagObjects), t => t.Key == "url.query");
    }

    /// <summary>Every span of the trace of the gateway request <paramref name="requestId"/>, once its ASP.NET Core server span has ended.</summary>
    private async Task<IReadOnlyList<Activity>> TraceOfAsync(string requestId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var gateway = fixture.Spans.FirstOrDefault(s => s.OperationName == "gateway.request" && (string?)s.GetTagItem("arouter.request_id") == requestId);
            if (gateway is not null && fixture.Spans.Any(s => s.SpanId == gateway.ParentSpanId)) return [.. fixture.Spans.Where(s => s.TraceId == gateway.TraceId)];
            Assert.True(DateTime.UtcNow < deadline, $"no finished trace for request {requestId}");
            await Task.Delay(50);
        }
    }
}
