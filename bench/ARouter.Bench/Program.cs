using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using ARouter.Bench;

// bench/run.sh builds the gateway in Release and runs this; see README "Benchmark".
var options = BenchOptions.Parse(args);
var workDir = Directory.CreateTempSubdirectory("arouter-bench-").FullName;
Console.WriteLine($"work dir {workDir}; load {ProcStats.LoadAverage()}; {Environment.ProcessorCount} cores");

await using var upstream = await FakeUpstream.StartAsync(FreePort());
if (options.CompareDll is not null) return await PairedComparison.RunAsync(options, workDir, upstream.Port, FreePort);
await using var nginx = await NginxProxy.StartAsync(workDir, FreePort(), upstream.Port);
await using var gateway = await GatewayProcess.StartAsync(options.GatewayDll, workDir, FreePort(), upstream.Port, options.GatewayEnv);
Console.WriteLine($"gateway pid {gateway.Pid}");
if (nginx is null) Console.WriteLine("nginx not found: comparing with the direct call only");

var targets = new List<Target> { new("direct", $"http://127.0.0.1:{upstream.Port}", null) };
if (nginx is not null) targets.Add(new("nginx", $"http://127.0.0.1:{nginx.Port}", nginx.Pid));
targets.Add(new("gateway", $"http://127.0.0.1:{gateway.Port}", gateway.Pid));

var results = new JsonObject
{
    ["started_at"] = DateTimeOffset.UtcNow.ToString("O"),
    ["load_average_before"] = ProcStats.LoadAverage(),
    ["cores"] = Environment.ProcessorCount,
    ["duration_seconds"] = options.Duration.TotalSeconds,
    ["connections"] = new JsonArray(options.Connections.Select(c => (JsonNode)c).ToArray()),
    ["gateway_rss_mb_at_start"] = ProcStats.Memory(gateway.Pid).Rss,
};

if (options.GatewayOnly) targets.RemoveAll(t => t.Name != "gateway");
var wrk = new WrkRunner(options.WrkScript);
Console.WriteLine("warming up (JIT, connection pools) ...");
var scenarios = Scenario.All.Where(s => options.Scenarios is null || options.Scenarios.Contains(s.Name)).ToList();
foreach (var scenario in scenarios)
    foreach (var target in targets)
        // The gateway's JIT tiers up over tens of thousands of requests; a short warm-up leaves compilation in its CPU time.
        await wrk.RunAsync(target.Url(scenario), target.Body(scenario), gateway.Key, 16, TimeSpan.FromSeconds(options.WarmupSeconds * (target.Name == "gateway" ? 3 : 1)));
await Task.Delay(1000);
var idle = ProcStats.Memory(gateway.Pid);
results["gateway_rss_mb_idle"] = idle.Rss;

if (options.AllocStacks is { } stacksScenario)
{
    var scenario = Scenario.All.Single(s => s.Name == stacksScenario);
    var target = targets.Single(t => t.Name == "gateway");
    Console.WriteLine(await AllocationStacks.RecordAsync(gateway.Pid, Path.Combine(workDir, "alloc.nettrace"),
        () => wrk.RunAsync(target.Url(scenario), target.Body(scenario), gateway.Key, 16, options.Duration)));
    return 0;
}
using var allocations = new AllocationProbe(gateway.Pid);
var allocationTypes = new JsonObject();
var load = new JsonArray();
foreach (var scenario in scenarios)
{
    var scenarioStart = allocations.Snapshot();
    foreach (var connections in options.Connections)
    {
        var row = new JsonObject { ["scenario"] = scenario.Name, ["connections"] = connections, ["load_average"] = ProcStats.LoadAverage() };
        var measured = new Dictionary<string, (WrkResult Wrk, double? CpuUs, double? MaxRss)>();
        foreach (var target in targets)
        {
            var cpuBefore = target.Pid is { } pid ? ProcStats.CpuTimeWithChildren(pid) : TimeSpan.Zero;
            using var sampler = target.Name == "gateway" ? new RssSampler(gateway.Pid) : null;
            var allocatedBefore = allocations.Snapshot().Total;
            var result = await wrk.RunAsync(target.Url(scenario), target.Body(scenario), gateway.Key, connections, options.Duration);
            double? cpuUs = target.Pid is { } p ? (ProcStats.CpuTimeWithChildren(p) - cpuBefore).TotalMicroseconds / Math.Max(1, result.Requests) : null;
            measured[target.Name] = (result, cpuUs, sampler?.MaxMb);
            row[target.Name] = Report.ToJson(result, cpuUs, sampler?.MaxMb);
            if (target.Name == "gateway")
                row[target.Name]!["alloc_kb_per_request"] = Math.Round((allocations.Snapshot().Total - allocatedBefore) / 1024.0 / Math.Max(1, result.Requests), 2);
        }
        if (!options.GatewayOnly) Report.AddComparisons(row, measured);
        load.Add(row);
        if (!options.GatewayOnly) Report.PrintRow(row);
        else Console.WriteLine($"{scenario.Name} c={connections}: {row["gateway"]!.ToJsonString()}");
    }
    allocationTypes[scenario.Name] = Report.TopTypes(scenarioStart.ByType, allocations.Snapshot().ByType, 15);
    Console.WriteLine($"top allocations, {scenario.Name} (KiB, sampled): " + string.Join(", ", allocationTypes[scenario.Name]!.AsObject().Select(kv => $"{kv.Key} {kv.Value}")));
}
results["gateway_allocations_by_type_kb"] = allocationTypes;
results["load"] = load;

// --no-streams skips only the probe: the memory figures, targets and JSON are still written.
if (!options.SkipStreams)
{
    var probe = new StreamProbe(upstream);
    Console.WriteLine($"stream probe: {probe.Streams} streams per target, events {StreamProbe.GapMs} ms apart ...");
    var gatewayUrl = $"http://127.0.0.1:{gateway.Port}";
    var probeTargets = new List<(string Name, string Url, string Model)> { ("direct", $"http://127.0.0.1:{upstream.Port}{Scenario.UpstreamPath}", Scenario.UpstreamModel) };
    if (nginx is not null) probeTargets.Add(("nginx", $"http://127.0.0.1:{nginx.Port}{Scenario.UpstreamPath}", Scenario.UpstreamModel));
    probeTargets.Add(("gateway_chat", gatewayUrl + "/v1/chat/completions", "openai/gpt-5.4-mini"));
    probeTargets.Add(("gateway_passthrough", gatewayUrl + "/openai/v1/chat/completions", Scenario.UpstreamModel));
    var streams = new JsonObject();
    foreach (var (name, timing) in await probe.MeasureAsync(probeTargets, gateway.Key)) streams[name] = JsonSerializer.SerializeToNode(timing, Report.Json);
    results["streams"] = streams;
}

var memory = ProcStats.Memory(gateway.Pid);
results["gateway_rss_mb_end"] = memory.Rss;
results["gateway_rss_mb_peak"] = memory.Peak;
results["load_average_after"] = ProcStats.LoadAverage();
results["targets"] = Report.Targets(results);
Report.PrintSummary(results);

Directory.CreateDirectory(options.ResultsDir);
var file = Path.Combine(options.ResultsDir, $"bench-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
await File.WriteAllTextAsync(file, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"results: {file}");
return 0;

static int FreePort()
{
    using var socket = new TcpListener(IPAddress.Loopback, 0);
    socket.Start();
    return ((IPEndPoint)socket.LocalEndpoint).Port;
}

/// <summary>Where load goes; the pid (when known) is the process whose CPU time is charged to it.</summary>
internal sealed record Target(string Name, string BaseUrl, int? Pid)
{
    public string Url(Scenario scenario) => BaseUrl + (Name == "gateway" ? scenario.GatewayPath : Scenario.UpstreamPath);
    public string Body(Scenario scenario) => Name == "gateway" ? scenario.GatewayBody : scenario.UpstreamBody;
}

/// <summary>Samples a process's RSS every 100 ms while a run lasts.</summary>
internal sealed class RssSampler : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    public double MaxMb { get; private set; }

    public RssSampler(int pid)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                MaxMb = Math.Max(MaxMb, ProcStats.Memory(pid).Rss);
                try { await Task.Delay(100, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    public void Dispose()
    {
        _stop.Cancel();
        _loop.Wait();
        _stop.Dispose();
    }
}

public sealed record BenchOptions(string GatewayDll, string WrkScript, string ResultsDir, TimeSpan Duration, int WarmupSeconds, int[] Connections,
    string[]? Scenarios, Dictionary<string, string> GatewayEnv, bool SkipStreams, string? AllocStacks, bool GatewayOnly,
    string? CompareDll, Dictionary<string, string> CompareEnv, int Rounds, bool Alternate)
{
    public static BenchOptions Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var root = Value("--repo", Directory.GetCurrentDirectory());
        var gateway = Path.GetFullPath(Value("--gateway", Path.Combine(root, "src/ARouter/bin/Release/net10.0/arouter.dll")));
        return new BenchOptions(
            gateway,
            Path.GetFullPath(Value("--wrk-script", Path.Combine(root, "bench/post.lua"))),
            Path.GetFullPath(Value("--results", Path.Combine(root, "bench/results"))),
            TimeSpan.FromSeconds(int.Parse(Value("--duration", "5"))),
            int.Parse(Value("--warmup", "3")),
            Value("--connections", "1,16,64").Split(',').Select(int.Parse).ToArray(),
            // For profiling: --scenarios chat --gateway-env DOTNET_PerfMapEnabled=1 --no-streams
            Value("--scenarios", "") is { Length: > 0 } only ? only.Split(',') : null,
            EnvironmentOf("--gateway-env"),
            args.Contains("--no-streams"),
            // For profiling: --alloc-stacks chat prints where the gateway's allocations come from under that scenario's load.
            Value("--alloc-stacks", "") is { Length: > 0 } stacks ? stacks : null,
            // For profiling: load only the gateway (no direct or nginx runs, no comparisons).
            args.Contains("--gateway-only"),
            // Paired runs (PairedComparison): this build, or the same one with --compare-env, side by side with --gateway.
            Value("--compare", "") is { Length: > 0 } compare ? Path.GetFullPath(compare) : args.Contains("--compare-env") ? gateway : null,
            EnvironmentOf("--compare-env"),
            int.Parse(Value("--rounds", "4")),
            // Paired runs that load one gateway at a time (the other idle), for latency: see PairedComparison.
            args.Contains("--alternate"));

        Dictionary<string, string> EnvironmentOf(string option) => args.Select((a, i) => (a, i)).Where(x => x.a == option && x.i + 1 < args.Length)
            .Select(x => args[x.i + 1].Split('=', 2)).ToDictionary(kv => kv[0], kv => kv[1]);
    }
}
