using System.Text.Json;
using System.Text.Json.Nodes;

namespace ARouter.Bench;

/// <summary>Turns runs into the JSON results file, the per-row table and the targets verdict.</summary>
public static class Report
{
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static JsonObject ToJson(WrkResult r, double? cpuUs, double? maxRssMb)
    {
        var node = new JsonObject
        {
            ["requests"] = r.Requests,
            ["errors"] = r.Errors,
            ["throughput_rps"] = Math.Round(r.Throughput, 1),
            ["p50_ms"] = r.P50Us / 1000.0,
            ["p90_ms"] = r.P90Us / 1000.0,
            ["p99_ms"] = r.P99Us / 1000.0,
            ["max_ms"] = r.MaxUs / 1000.0,
        };
        if (cpuUs is { } cpu) node["cpu_us_per_request"] = Math.Round(cpu, 1);
        if (maxRssMb is { } rss) node["rss_mb_max"] = Math.Round(rss, 1);
        return node;
    }

    public static void AddComparisons(JsonObject row, Dictionary<string, (WrkResult Wrk, double? CpuUs, double? MaxRss)> m)
    {
        var gateway = m["gateway"].Wrk;
        var direct = m["direct"].Wrk;
        row["gateway_vs_direct_throughput"] = Math.Round(gateway.Throughput / direct.Throughput, 3);
        row["added_p50_ms_vs_direct"] = (gateway.P50Us - direct.P50Us) / 1000.0;
        row["added_p99_ms_vs_direct"] = (gateway.P99Us - direct.P99Us) / 1000.0;
        row["gateway_p99_over_p50"] = Math.Round((double)gateway.P99Us / Math.Max(1, gateway.P50Us), 2);
        if (m.TryGetValue("nginx", out var nginx))
        {
            row["gateway_vs_nginx_throughput"] = Math.Round(gateway.Throughput / nginx.Wrk.Throughput, 3);
            row["added_p50_ms_vs_nginx"] = (gateway.P50Us - nginx.Wrk.P50Us) / 1000.0;
            row["added_p99_ms_vs_nginx"] = (gateway.P99Us - nginx.Wrk.P99Us) / 1000.0;
        }
    }

    /// <summary>The types that took the most sampled allocation between two snapshots, in KiB.</summary>
    public static JsonObject TopTypes(Dictionary<string, long> before, Dictionary<string, long> after, int count)
    {
        var top = new JsonObject();
        foreach (var (type, bytes) in after.Select(kv => (kv.Key, kv.Value - before.GetValueOrDefault(kv.Key))).OrderByDescending(x => x.Item2).Take(count))
            top[type] = bytes / 1024;
        return top;
    }

    public static void PrintRow(JsonObject row)
    {
        if (row["connections"]!.GetValue<int>() == 1 || !_headerPrinted)
        {
            Console.WriteLine();
            Console.WriteLine($"{"scenario",-12} {"conn",4} | {"target",-8} {"req/s",9} {"p50 ms",7} {"p99 ms",7} {"cpu µs/req",10} {"KiB/req",7} {"err",4} | gw/direct gw/nginx +p50 ms +p99 ms  load");
            _headerPrinted = true;
        }
        foreach (var name in RowTargets)
        {
            if (row[name] is not JsonObject t) continue;
            var cpu = t["cpu_us_per_request"]?.GetValue<double>() is { } c ? $"{c,10:0.0}" : $"{"",10}";
            var tail = name == "gateway"
                ? $" | {row["gateway_vs_direct_throughput"],9} {row["gateway_vs_nginx_throughput"],8} {row["added_p50_ms_vs_direct"],6} {row["added_p99_ms_vs_direct"],7}  {row["load_average"]}"
                : "";
            var alloc = t["alloc_kb_per_request"] is { } a ? $"{a,7}" : $"{"",7}";
            Console.WriteLine($"{row["scenario"],-12} {row["connections"],4} | {name,-8} {t["throughput_rps"],9} {t["p50_ms"],7} {t["p99_ms"],7} {cpu} {alloc} {t["errors"],4}{tail}");
        }
    }

    private static bool _headerPrinted;

    private static readonly string[] RowTargets = ["direct", "nginx", "gateway"];

    /// <summary>Each target with its measured value and whether it holds (see the issue; latency targets are judged at 1 connection, where no queue hides them).</summary>
    public static JsonArray Targets(JsonObject results)
    {
        var rows = results["load"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var verdicts = new JsonArray();
        void Add(string what, double value, double limit, bool lowerIsBetter = true, long failedRequests = 0) => verdicts.Add(new JsonObject
        {
            ["target"] = failedRequests > 0 ? $"{what} [{failedRequests} failed requests in this row: not judged]" : what,
            ["measured"] = Math.Round(value, 3), ["limit"] = limit,
            ["met"] = failedRequests == 0 && (lowerIsBetter ? value <= limit : value >= limit),
        });

        foreach (var row in rows)
        {
            var name = $"{row["scenario"]} c={row["connections"]}";
            var gateway = row["gateway"]!.AsObject();
            // Refusals and timeouts are cheap or slow for reasons of their own: a row with any of them did not measure the gateway's work.
            var failed = RowTargets.Sum(t => row[t]?["errors"]?.GetValue<long>() ?? 0);
            // nginx's own CPU per request in the same row shows how fast the machine was: on this VM it moved 1.4x within an hour.
            var nginxCpu = row["nginx"]?["cpu_us_per_request"]?.GetValue<double>() is { } n ? $" (nginx in the same run: {n:0.0}, the machine's pace)" : "";
            if (row["scenario"]!.GetValue<string>() != "chat-stream")
                Add($"{name}: gateway CPU µs per request{nginxCpu}", gateway["cpu_us_per_request"]!.GetValue<double>(), global::ARouter.Bench.Targets.CpuUsPerRequest, failedRequests: failed);
            if (row["connections"]!.GetValue<int>() == 64 && row["gateway_vs_nginx_throughput"] is { } ratio)
                Add($"{name}: throughput gateway/nginx", ratio.GetValue<double>(), global::ARouter.Bench.Targets.ThroughputVsNginxAt64, lowerIsBetter: false, failedRequests: failed);
            if (row["connections"]!.GetValue<int>() == 1 && row["added_p50_ms_vs_direct"] is not null)
            {
                Add($"{name}: added p50 ms", row["added_p50_ms_vs_direct"]!.GetValue<double>(), global::ARouter.Bench.Targets.AddedP50Ms, failedRequests: failed);
                Add($"{name}: added p99 ms", row["added_p99_ms_vs_direct"]!.GetValue<double>(), global::ARouter.Bench.Targets.AddedP99Ms, failedRequests: failed);
                Add($"{name}: gateway p99/p50", row["gateway_p99_over_p50"]!.GetValue<double>(), global::ARouter.Bench.Targets.P99OverP50, failedRequests: failed);
            }
        }
        var streams = results["streams"]?.AsObject() ?? [];
        var directFirst = streams["direct"]?["first_event_p50_ms"]?.GetValue<double>() ?? 0;
        foreach (var name in new[] { "gateway_chat", "gateway_passthrough" }.Where(streams.ContainsKey))
        {
            var s = streams[name]!;
            Add($"{name}: added time to first event p50 ms", s["first_event_p50_ms"]!.GetValue<double>() - directFirst, global::ARouter.Bench.Targets.FirstEventAddedMs);
            var floor = string.Join(", ", new[] { "direct", "nginx" }.Where(n => streams[n] is not null).Select(n => $"{n} {streams[n]!["events_held_back"]}"));
            Add($"{name}: events held back (same measure for {floor}: the machine's own noise)", s["events_held_back"]!.GetValue<int>(), 0);
            Add($"{name}: events missing (sent by the upstream, never received as events of their own)", s["events_missing"]!.GetValue<int>(), 0);
        }
        Add("gateway RSS idle MB", results["gateway_rss_mb_idle"]!.GetValue<double>(), global::ARouter.Bench.Targets.IdleRssMb);
        var loadRss = rows.Where(r => r["connections"]!.GetValue<int>() == 64).Select(r => r["gateway"]!["rss_mb_max"]!.GetValue<double>()).ToList();
        if (loadRss.Count > 0) Add("gateway RSS under 64-connection load MB", loadRss.Max(), global::ARouter.Bench.Targets.LoadRssMb);
        return verdicts;
    }

    public static void PrintSummary(JsonObject results)
    {
        Console.WriteLine();
        if (results["streams"] is not null)
            Console.WriteLine($"{"stream probe",-20} {"1st event p50",13} {"p99",7} {"to upstream",11} {"lag p50",8} {"p99",7} {"max",7} {"held back",10} {"usage lag",9}");
        foreach (var (name, node) in results["streams"]?.AsObject() ?? [])
        {
            var s = node!;
            double Ms(string field) => s[field]!.GetValue<double>();
            Console.WriteLine($"{name,-20} {Ms("first_event_p50_ms"),13:0.000} {Ms("first_event_p99_ms"),7:0.000} {Ms("request_to_upstream_p50_ms"),11:0.000} {Ms("event_lag_p50_ms"),8:0.000} {Ms("event_lag_p99_ms"),7:0.000} {Ms("event_lag_max_ms"),7:0.000} {$"{s["events_held_back"]}/{s["events_compared"]}",10} {Ms("usage_event_lag_p50_ms"),9:0.000}");
        }
        Console.WriteLine();
        double Mb(string field) => results[field]!.GetValue<double>();
        Console.WriteLine($"gateway RSS MB: start {Mb("gateway_rss_mb_at_start"):0.0}, idle {Mb("gateway_rss_mb_idle"):0.0}, end {Mb("gateway_rss_mb_end"):0.0}, peak {Mb("gateway_rss_mb_peak"):0.0}");
        Console.WriteLine($"load average before {results["load_average_before"]}, after {results["load_average_after"]}");
        Console.WriteLine();
        foreach (var v in results["targets"]!.AsArray())
            Console.WriteLine($"{(v!["met"]!.GetValue<bool>() ? "MET    " : "NOT MET")} {v["target"]}: {v["measured"]} (limit {v["limit"]})");
    }
}
