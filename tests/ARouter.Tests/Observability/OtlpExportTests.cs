using System.Collections.Concurrent;
using System.Text;
using ARouter.Tests.FakeUpstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;

namespace ARouter.Tests.Observability;

/// <summary>
/// With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, traces, metrics and logs go out over OTLP (http/protobuf here, to a
/// local receiver) — and no prompt, completion or key is in any byte sent. Protobuf keeps strings as plain UTF-8,
/// so a canary would show in the raw bodies.
/// </summary>
public sealed class OtlpExportTests
{
    private const string PromptCanary = "OTLP-PROMPT-CANARY-2b61";
    private const string CompletionCanary = "OTLP-COMPLETION-CANARY-c3d0";

    [Fact]
    public async Task Traces_metrics_and_logs_reach_the_OTLP_endpoint_without_content_or_keys()
    {
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var receiverBuilder = WebApplication.CreateSlimBuilder();
        receiverBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        receiverBuilder.Logging.ClearProviders();
        await using var receiver = receiverBuilder.Build();
        receiver.MapPost("/v1/{signal}", async (HttpContext http) =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            received.Enqueue((http.Request.Path, body.ToArray()));
            http.Response.ContentType = "application/x-protobuf";
        });
        await receiver.StartAsync();
        var endpoint = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        await using var fakes = await FakeProviders.StartAsync();
        fakes.Script("deepseek", FakeScript.Default with { Reply = CompletionCanary });
        var configuration = new Dictionary<string, string?>(fakes.GatewayConfiguration())
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        };
        // GatewayHost clears the logging providers to capture lines itself; this puts OpenTelemetry's back (its OTLP exporter is the gateway's own).
        await using var gateway = await GatewayHost.StartAsync(configuration, configure: builder => builder.Services.AddOpenTelemetry().WithLogging());
        var account = await gateway.CreateAccountAsync(5);
        var (status, _) = await gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions?key=" + account.Key, "", GatewayWithFakes.ChatBody("deepseek/deepseek-chat", prompt: PromptCanary));
        Assert.Equal(200, status);

        string Sent(string path) => string.Join('\n', received.Where(r => r.Path == path).Select(r => Encoding.UTF8.GetString(r.Body)));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!(Sent("/v1/traces").Contains("gateway.request") && Sent("/v1/metrics").Contains("arouter.requests") && Sent("/v1/logs").Contains("deepseek/deepseek-chat")))
        {
            Assert.True(DateTime.UtcNow < deadline, "OTLP export did not arrive: " + string.Join(", ", received.Select(r => r.Path).Distinct()));
            await Task.Delay(100);
        }

        var everything = string.Join('\n', received.Select(r => Encoding.UTF8.GetString(r.Body)));
        foreach (var secret in new[] { PromptCanary, CompletionCanary, account.Key[..16], "sk-fake-", "key=" })
            Assert.DoesNotContain(secret, everything);
    }
}
