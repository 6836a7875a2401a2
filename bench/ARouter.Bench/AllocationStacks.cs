using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace ARouter.Bench;

/// <summary>
/// For profiling (<c>--alloc-stacks</c>): records the gateway's allocation ticks with their call stacks to a
/// .nettrace file while a load runs, then prints which gateway methods the sampled allocations come from.
/// </summary>
public static class AllocationStacks
{
    public static async Task<string> RecordAsync(int pid, string file, Func<Task> load)
    {
        var client = new DiagnosticsClient(pid);
        var keywords = (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.Loader | ClrTraceEventParser.Keywords.Jit);
        using (var session = client.StartEventPipeSession([new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Verbose, keywords)], requestRundown: true))
        {
            await using var output = File.Create(file);
            var copy = session.EventStream.CopyToAsync(output);
            await load();
            session.Stop();
            await copy;
        }
        return Summarize(file);
    }

    private static string Summarize(string file)
    {
        var etlx = TraceLog.CreateFromEventPipeDataFile(file);
        using var log = TraceLog.OpenOrConvert(etlx);
        var byFrame = new Dictionary<string, long>();
        var byType = new Dictionary<string, long>();
        long total = 0;
        foreach (var e in log.Events)
        {
            if (e is not GCAllocationTickTraceData tick) continue;
            total += tick.AllocationAmount64;
            var stack = e.CallStack();
            var frames = new List<string>();
            for (var s = stack; s is not null && frames.Count < 40; s = s.Caller) frames.Add(s.CodeAddress.FullMethodName ?? "?");
            // The allocation is charged to the innermost frame of our own code (or the first named frame).
            var own = frames.FirstOrDefault(f => f.StartsWith("ARouter.", StringComparison.Ordinal)) ?? frames.FirstOrDefault(f => f.Length > 1) ?? "?";
            var key = $"{tick.TypeName} <- {Short(own)} <- {Short(frames.FirstOrDefault() ?? "?")}";
            byFrame[key] = byFrame.GetValueOrDefault(key) + tick.AllocationAmount64;
        }
        var lines = byFrame.OrderByDescending(kv => kv.Value).Take(40).Select(kv => $"{kv.Value * 100.0 / Math.Max(1, total),5:0.0}%  {kv.Key}");
        return $"sampled allocations: {total / 1024 / 1024} MiB\n" + string.Join("\n", lines);
    }

    private static string Short(string method) => method.Length > 110 ? method[..110] : method;
}
