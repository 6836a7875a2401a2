using System.Text.Json;
using System.Text.Json.Nodes;

namespace ARouter.Bench;

/// <summary>
/// Two gateway builds (or one build with two settings) measured side by side: both run at once against one fake
/// upstream, each under its own wrk with the same load, so both see the same machine. One run after another on this
/// VM spreads ±20 % for the same build; B/A within a round spreads ~±5 % (A against itself: 0.94–1.04), which is what
/// makes a change of a few per cent visible. Each figure is only comparable within its round: both gateways share
/// the cores, so the absolute CPU per request is not the one-gateway figure.
/// With <c>--alternate</c> each round loads A alone, then B alone (the other one idle; the order turns each round):
/// for latency, which a side-by-side run misjudges. Two loaded gateways keep both cores busy, so neither pays for
/// waking a sleeping thread, which is most of what one caller against an idle gateway waits for: the thread pool with
/// its spinning off read 0.82–0.91× the CPU side by side, and 1.4× the p50 alone.
/// </summary>
public static class PairedComparison
{
    public static async Task<int> RunAsync(BenchOptions options, string workDir, int upstreamPort, Func<int> freePort)
    {
        var wrk = new WrkRunner(options.WrkScript);
        await using var a = await GatewayProcess.StartAsync(options.GatewayDll, Directory.CreateDirectory(Path.Combine(workDir, "a")).FullName, freePort(), upstreamPort, options.GatewayEnv);
        await using var b = await GatewayProcess.StartAsync(options.CompareDll!, Directory.CreateDirectory(Path.Combine(workDir, "b")).FullName, freePort(), upstreamPort, options.CompareEnv);
        Console.WriteLine($"A {options.GatewayDll} {Describe(options.GatewayEnv)} (pid {a.Pid})");
        Console.WriteLine($"B {options.CompareDll} {Describe(options.CompareEnv)} (pid {b.Pid})");

        var rows = new JsonArray();
        foreach (var scenario in Scenario.All.Where(s => options.Scenarios is null || options.Scenarios.Contains(s.Name)))
        {
            // The JIT tiers up over tens of thousands of requests: with 15 s of warm-up at 16 connections the first
            // round still read 1.6× the CPU of the next.
            await BothAsync(wrk, scenario, a, b, options.Connections.Max(), TimeSpan.FromSeconds(options.WarmupSeconds * 8));
            foreach (var connections in options.Connections)
            {
                var ratios = new List<(double Cpu, double Rps, double P50)>();
                for (var round = 1; round <= options.Rounds; round++)
                {
                    var (ra, rb) = options.Alternate
                        ? await OneAfterTheOtherAsync(wrk, scenario, a, b, connections, options.Duration, bFirst: round % 2 == 0)
                        : await BothAsync(wrk, scenario, a, b, connections, options.Duration);
                    var ratio = (Cpu: rb.CpuUs / ra.CpuUs, Rps: rb.Wrk.Throughput / ra.Wrk.Throughput, P50: (double)rb.Wrk.P50Us / ra.Wrk.P50Us);
                    // A round with failed requests measured refusals or timeouts, not the builds: shown, left out of the medians.
                    var judged = ra.Wrk.Errors == 0 && rb.Wrk.Errors == 0;
                    if (judged) ratios.Add(ratio);
                    Console.WriteLine($"{scenario.Name} c={connections} round {round}: A {Line(ra)} | B {Line(rb)} | B/A CPU {ratio.Cpu:F3} req/s {ratio.Rps:F3} p50 {ratio.P50:F3}{(judged ? "" : " (not judged)")}");
                    rows.Add(new JsonObject
                    {
                        ["scenario"] = scenario.Name, ["connections"] = connections, ["round"] = round, ["load_average"] = ProcStats.LoadAverage(),
                        ["a"] = Report.ToJson(ra.Wrk, ra.CpuUs, null), ["b"] = Report.ToJson(rb.Wrk, rb.CpuUs, null),
                        ["b_over_a_cpu"] = Math.Round(ratio.Cpu, 3), ["b_over_a_throughput"] = Math.Round(ratio.Rps, 3),
                        ["b_over_a_p50"] = Math.Round(ratio.P50, 3), ["judged"] = judged,
                    });
                }
                if (ratios.Count == 0)
                {
                    Console.WriteLine($"{scenario.Name} c={connections}: every round had failed requests; nothing to compare");
                    continue;
                }
                Console.WriteLine($"{scenario.Name} c={connections}: B/A CPU per request median {Median(ratios.Select(r => r.Cpu)):F3} " +
                    $"(range {ratios.Min(r => r.Cpu):F3}–{ratios.Max(r => r.Cpu):F3}), req/s median {Median(ratios.Select(r => r.Rps)):F3}, " +
                    $"p50 median {Median(ratios.Select(r => r.P50)):F3} (range {ratios.Min(r => r.P50):F3}–{ratios.Max(r => r.P50):F3})");
            }
        }

        var results = new JsonObject
        {
            ["started_at"] = DateTimeOffset.UtcNow.ToString("O"),
            ["a"] = new JsonObject { ["gateway"] = options.GatewayDll, ["env"] = Describe(options.GatewayEnv) },
            ["b"] = new JsonObject { ["gateway"] = options.CompareDll, ["env"] = Describe(options.CompareEnv) },
            ["duration_seconds"] = options.Duration.TotalSeconds,
            ["mode"] = options.Alternate ? "alternate" : "side by side",
            ["rounds"] = rows,
        };
        Directory.CreateDirectory(options.ResultsDir);
        var file = Path.Combine(options.ResultsDir, $"compare-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
        await File.WriteAllTextAsync(file, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"results: {file}");
        return 0;
    }

    private sealed record Measured(WrkResult Wrk, double CpuUs);

    private static async Task<(Measured A, Measured B)> BothAsync(WrkRunner wrk, Scenario scenario, GatewayProcess a, GatewayProcess b, int connections, TimeSpan duration)
    {
        var runA = LoadAsync(wrk, scenario, a, connections, duration);
        var runB = LoadAsync(wrk, scenario, b, connections, duration);
        return (await runA, await runB);
    }

    private static async Task<(Measured A, Measured B)> OneAfterTheOtherAsync(WrkRunner wrk, Scenario scenario, GatewayProcess a, GatewayProcess b, int connections, TimeSpan duration, bool bFirst)
    {
        var first = await LoadAsync(wrk, scenario, bFirst ? b : a, connections, duration);
        var second = await LoadAsync(wrk, scenario, bFirst ? a : b, connections, duration);
        return bFirst ? (second, first) : (first, second);
    }

    /// <summary>One wrk run against one gateway, and the gateway's CPU time over it per request.</summary>
    private static async Task<Measured> LoadAsync(WrkRunner wrk, Scenario scenario, GatewayProcess gateway, int connections, TimeSpan duration)
    {
        var cpu = ProcStats.CpuTime(gateway.Pid);
        var result = await wrk.RunAsync($"http://127.0.0.1:{gateway.Port}{scenario.GatewayPath}", scenario.GatewayBody, gateway.Key, connections, duration);
        return new Measured(result, PerRequest(ProcStats.CpuTime(gateway.Pid) - cpu, result));
    }

    private static double PerRequest(TimeSpan cpu, WrkResult result) => cpu.TotalMicroseconds / Math.Max(1, result.Requests);

    private static string Line(Measured m) => $"{m.Wrk.Throughput,7:F0} req/s {m.CpuUs,6:F1} µs/req p50 {m.Wrk.P50Us / 1000.0:F3} p99 {m.Wrk.P99Us / 1000.0:F3} ms{(m.Wrk.Errors > 0 ? $" ERRORS {m.Wrk.Errors}" : "")}";

    private static string Describe(Dictionary<string, string> env) => string.Join(" ", env.Select(kv => $"{kv.Key}={kv.Value}"));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
