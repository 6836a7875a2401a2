using System.Text.Json.Nodes;

namespace ARouter.Bench.Tests;

public class ReportTests
{
    /// <summary>A run whose every figure is inside the issue's limits, shaped as Program writes it.</summary>
    private static JsonObject Results(long gatewayErrors = 0, int heldBack = 0, int missing = 0) => JsonNode.Parse($$"""
        {
          "gateway_rss_mb_idle": 75.0,
          "load": [
            { "scenario": "chat", "connections": 1,
              "direct": { "errors": 0, "p50_ms": 0.04 }, "nginx": { "errors": 0, "cpu_us_per_request": 20.0 },
              "gateway": { "errors": {{gatewayErrors}}, "cpu_us_per_request": 90.0, "rss_mb_max": 120.0 },
              "added_p50_ms_vs_direct": 0.2, "added_p99_ms_vs_direct": 1.2, "gateway_p99_over_p50": 3.5, "gateway_vs_nginx_throughput": 0.2 },
            { "scenario": "chat", "connections": 64,
              "direct": { "errors": 0 }, "nginx": { "errors": 0, "cpu_us_per_request": 17.0 },
              "gateway": { "errors": 0, "cpu_us_per_request": 70.0, "rss_mb_max": 190.0 },
              "added_p50_ms_vs_direct": 3.0, "added_p99_ms_vs_direct": 9.0, "gateway_p99_over_p50": 5.0, "gateway_vs_nginx_throughput": 0.36 },
            { "scenario": "chat-stream", "connections": 64,
              "direct": { "errors": 0 }, "nginx": { "errors": 0, "cpu_us_per_request": 40.0 },
              "gateway": { "errors": 0, "cpu_us_per_request": 150.0, "rss_mb_max": 195.0 },
              "gateway_vs_nginx_throughput": 0.45 }
          ],
          "streams": {
            "direct": { "first_event_p50_ms": 0.2, "events_held_back": 0, "events_missing": 0 },
            "nginx": { "first_event_p50_ms": 0.4, "events_held_back": 1, "events_missing": 0 },
            "gateway_chat": { "first_event_p50_ms": 0.6, "events_held_back": {{heldBack}}, "events_missing": {{missing}} },
            "gateway_passthrough": { "first_event_p50_ms": 0.9, "events_held_back": 0, "events_missing": 0 }
          }
        }
        """)!.AsObject();

    private static Dictionary<string, (double Measured, double Limit, bool Met)> Verdicts(JsonObject results) =>
        Report.Targets(results).Select(v => v!.AsObject()).ToDictionary(
            v => v["target"]!.GetValue<string>(),
            v => (v["measured"]!.GetValue<double>(), v["limit"]!.GetValue<double>(), v["met"]!.GetValue<bool>()));

    private static (double Measured, double Limit, bool Met) Find(Dictionary<string, (double, double, bool)> verdicts, string prefix) =>
        verdicts.Single(v => v.Key.StartsWith(prefix, StringComparison.Ordinal)).Value;

    [Fact]
    public void Each_target_of_the_issue_is_judged_against_its_limit()
    {
        var verdicts = Verdicts(Results());

        Assert.Equal((90.0, 100, true), Find(verdicts, "chat c=1: gateway CPU µs per request"));
        Assert.Equal((70.0, 100, true), Find(verdicts, "chat c=64: gateway CPU µs per request"));
        Assert.Equal((0.36, 0.35, true), Find(verdicts, "chat c=64: throughput gateway/nginx"));
        Assert.Equal((0.2, 0.25, true), Find(verdicts, "chat c=1: added p50 ms"));
        Assert.Equal((1.2, 1.5, true), Find(verdicts, "chat c=1: added p99 ms"));
        Assert.Equal((3.5, 4, true), Find(verdicts, "chat c=1: gateway p99/p50"));
        // Added to the direct call's first event: 0.6 − 0.2 and 0.9 − 0.2.
        Assert.Equal((0.4, 0.5, true), Find(verdicts, "gateway_chat: added time to first event"));
        Assert.Equal((0.7, 0.5, false), Find(verdicts, "gateway_passthrough: added time to first event"));
        Assert.Equal((0, 0, true), Find(verdicts, "gateway_chat: events held back"));
        Assert.Equal((0, 0, true), Find(verdicts, "gateway_chat: events missing"));
        Assert.Equal((75.0, 80, true), Find(verdicts, "gateway RSS idle MB"));
        // The highest of the 64-connection rows, the stream's included.
        Assert.Equal((195.0, 200, true), Find(verdicts, "gateway RSS under 64-connection load MB"));
    }

    [Fact]
    public void Latency_is_judged_at_one_connection_throughput_at_64_and_cpu_on_the_unstreamed_scenarios()
    {
        var targets = Verdicts(Results()).Keys.ToList();

        Assert.DoesNotContain(targets, t => t.StartsWith("chat c=64: added", StringComparison.Ordinal));
        Assert.DoesNotContain(targets, t => t.StartsWith("chat c=1: throughput", StringComparison.Ordinal));
        Assert.DoesNotContain(targets, t => t.StartsWith("chat-stream c=64: gateway CPU", StringComparison.Ordinal));
        Assert.Contains(targets, t => t.StartsWith("chat-stream c=64: throughput", StringComparison.Ordinal));
    }

    [Fact]
    public void The_cpu_target_names_nginx_in_the_same_row_as_the_machines_pace()
    {
        var target = Verdicts(Results()).Keys.Single(t => t.StartsWith("chat c=64: gateway CPU", StringComparison.Ordinal));

        Assert.Contains("nginx in the same run: 17.0", target);
    }

    [Fact]
    public void A_row_with_failed_requests_meets_none_of_its_targets_however_good_its_figures()
    {
        var verdicts = Verdicts(Results(gatewayErrors: 3));

        var row = verdicts.Where(v => v.Key.StartsWith("chat c=1:", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, row.Count);
        Assert.All(row, v => Assert.False(v.Value.Met));
        Assert.All(row, v => Assert.Contains("3 failed requests", v.Key));
        // The other rows stand on their own.
        Assert.True(Find(verdicts, "chat c=64: gateway CPU µs per request").Met);
    }

    [Fact]
    public void An_event_held_back_or_missing_fails_its_stream_target()
    {
        var verdicts = Verdicts(Results(heldBack: 1, missing: 2));

        Assert.Equal((1, 0, false), Find(verdicts, "gateway_chat: events held back"));
        Assert.Equal((2, 0, false), Find(verdicts, "gateway_chat: events missing"));
    }

    [Fact]
    public void Over_the_limits_is_not_met()
    {
        var results = Results();
        var row = results["load"]![1]!;
        row["gateway"]!["cpu_us_per_request"] = 100.5;
        row["gateway_vs_nginx_throughput"] = 0.349;
        results["gateway_rss_mb_idle"] = 80.1;

        var verdicts = Verdicts(results);

        Assert.False(Find(verdicts, "chat c=64: gateway CPU µs per request").Met);
        Assert.False(Find(verdicts, "chat c=64: throughput gateway/nginx").Met);
        Assert.False(Find(verdicts, "gateway RSS idle MB").Met);
    }
}
