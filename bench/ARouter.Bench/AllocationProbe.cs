using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace ARouter.Bench;

/// <summary>
/// Listens to the gateway's GC allocation-tick events over EventPipe (the runtime samples one event per
/// ~100 KB allocated, naming the type that crossed the line), so allocations per request — unlike CPU time —
/// can be measured on a machine other builds are loading. Sampling makes the per-type split approximate.
/// </summary>
public sealed class AllocationProbe : IDisposable
{
    private readonly EventPipeSession _session;
    private readonly Task _pump;
    private readonly ConcurrentDictionary<string, long> _byType = new();
    private long _total;

    public AllocationProbe(int pid)
    {
        var client = new DiagnosticsClient(pid);
        _session = client.StartEventPipeSession(
            [new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Verbose, (long)ClrTraceEventParser.Keywords.GC)],
            requestRundown: false);
        var source = new EventPipeEventSource(_session.EventStream);
        source.Clr.GCAllocationTick += OnTick;
        _pump = Task.Run(() =>
        {
            try { source.Process(); } catch (Exception) { }
        });
    }

    private void OnTick(GCAllocationTickTraceData tick)
    {
        Interlocked.Add(ref _total, tick.AllocationAmount64);
        _byType.AddOrUpdate(tick.TypeName ?? "?", tick.AllocationAmount64, (_, v) => v + tick.AllocationAmount64);
    }

    /// <summary>Bytes seen so far and the split by type; subtract two snapshots to measure a run.</summary>
    public (long Total, Dictionary<string, long> ByType) Snapshot() => (Interlocked.Read(ref _total), new Dictionary<string, long>(_byType));

    public void Dispose()
    {
        try { _session.Stop(); } catch (Exception) { }
        _pump.Wait(TimeSpan.FromSeconds(5));
        _session.Dispose();
    }
}
