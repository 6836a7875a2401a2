using System.Threading.Channels;
using ARouter.Observability;
using ARouter.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ARouter.Billing;

/// <summary>
/// The single writer of ledger changes. Requests hand it entries; it commits whatever has queued up
/// in one database transaction (group commit), so thousands of settles per second cost a handful of
/// commits, then tells each waiting request its entry is durable. A failed batch is retried, never dropped;
/// on shutdown the queue is drained before the process exits.
/// </summary>
public sealed class LedgerWriter(ILedgerStore store, ILogger<LedgerWriter> logger) : IHostedService
{
    private const int MaxBatch = 512;
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);
    /// <summary>How long stopping waits for the queue to be committed; only a database that stays down makes it matter.</summary>
    internal static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(15);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private Task? _loop;
    private int _depth;
    private Timer? _watchdog;
    // When the batch being committed was first tried (Environment.TickCount64; 0 between batches), its size, and the last one reported slow.
    private long _batchStarted;
    private int _batchCount;
    private long _reportedSlow;

    /// <summary>
    /// How long a batch may go uncommitted before the writer logs it. Every settle in it waits (a cost the caller is shown
    /// must be durable), so a stuck database shows here. One watchdog for the writer's lifetime checks, instead of a
    /// timer per waiting request.
    /// </summary>
    internal TimeSpan SlowAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Set by the composition root: called between batches to pick up changes made by other processes.</summary>
    internal Func<CancellationToken, Task>? Refresh { get; set; }

    /// <summary>Entries queued or being committed, not yet durable (the single-reader channel cannot count itself).</summary>
    public int QueueDepth => Volatile.Read(ref _depth);

    /// <summary>Queues an entry and completes once it is committed. <paramref name="onCommitted"/> runs on the writer, in commit order.</summary>
    public Task<AppliedEntry> WriteAsync(LedgerEntry entry, Action<AppliedEntry>? onCommitted = null)
    {
        // Completed on the writer's thread only when it has nothing else to do (see CommitWithRetryAsync); otherwise on the pool.
        var pending = new Pending(entry, onCommitted, awaited: true);
        Enqueue(pending);
        return pending.Task;
    }

    /// <summary>Queues an entry nobody waits for (the record of a request that cost nothing).</summary>
    public void Post(LedgerEntry entry)
    {
        Enqueue(new Pending(entry, null, awaited: false));
    }

    private void Enqueue(Pending pending)
    {
        Interlocked.Increment(ref _depth);
        if (_queue.Writer.TryWrite(pending)) return;
        Interlocked.Decrement(ref _depth);
        _ = WriteDirectAsync(pending);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        var period = SlowAfter / 2;
        _watchdog = new Timer(static writer => ((LedgerWriter)writer!).ReportSlowBatch(), this, period, period);
        return Task.CompletedTask;
    }

    private void ReportSlowBatch()
    {
        var started = Volatile.Read(ref _batchStarted);
        if (started == 0 || started == _reportedSlow) return;
        var waited = Environment.TickCount64 - started;
        if (waited < SlowAfter.TotalMilliseconds) return;
        _reportedSlow = started;
        Log.LedgerSlow(logger, Volatile.Read(ref _batchCount), Math.Round(waited / 1000.0, 1), Math.Max(0, QueueDepth - Volatile.Read(ref _batchCount)));
    }

    /// <summary>
    /// Commits everything queued before returning — also past the host's shutdown timeout, which in-flight requests
    /// may have used up: an acknowledged charge must not be lost to a clean stop. Bounded by <see cref="FlushTimeout"/>.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is null) return;
        if (await Task.WhenAny(_loop, Task.Delay(FlushTimeout)) != _loop) Log.LedgerNotFlushed(logger, QueueDepth);
        if (_watchdog is not null) await _watchdog.DisposeAsync();
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        var entries = new List<LedgerEntry>(MaxBatch);
        var reader = _queue.Reader;
        var lastRefresh = Environment.TickCount64;
        // One idle timer for the writer's lifetime, armed only when the queue is empty: under load the next batch
        // is usually queued by the time a commit ends, and a timer per batch was the writer's own allocation.
        var idle = new CancellationTokenSource();
        try
        {
            while (true)
            {
                batch.Clear();
                entries.Clear();
                if (!reader.TryPeek(out _))
                {
                    if (!idle.TryReset())
                    {
                        idle.Dispose();
                        idle = new CancellationTokenSource();
                    }
                    idle.CancelAfter(RefreshInterval);
                    try
                    {
                        if (!await reader.WaitToReadAsync(idle.Token)) return;
                    }
                    catch (OperationCanceledException) when (idle.IsCancellationRequested)
                    {
                        await RefreshQuietlyAsync();
                        lastRefresh = Environment.TickCount64;
                        continue;
                    }
                }

                while (batch.Count < MaxBatch && reader.TryRead(out var pending))
                {
                    batch.Add(pending);
                    entries.Add(pending.Entry);
                }
                Volatile.Write(ref _batchCount, batch.Count);
                Volatile.Write(ref _batchStarted, Environment.TickCount64);
                await CommitWithRetryAsync(batch, entries);
                Volatile.Write(ref _batchStarted, 0);
                Interlocked.Add(ref _depth, -batch.Count);
                if (Environment.TickCount64 - lastRefresh > RefreshInterval.TotalMilliseconds)
                {
                    await RefreshQuietlyAsync();
                    lastRefresh = Environment.TickCount64;
                }
            }
        }
        finally
        {
            idle.Dispose();
        }
    }

    private async Task CommitWithRetryAsync(List<Pending> batch, List<LedgerEntry> entries)
    {
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                var applied = await store.ApplyBatchAsync(entries, CancellationToken.None);
                // A lone entry with nothing queued behind it: its request goes on here, sparing it a wake-up of a pool thread
                // (after a pause, the larger part of its wait). Otherwise each request goes on on the pool, as the writer goes on.
                var inline = batch.Count == 1 && !_queue.Reader.TryPeek(out _);
                for (var i = 0; i < batch.Count; i++) Complete(batch[i], applied[i], inline);
                return;
            }
            catch (Exception e)
            {
                Log.LedgerBatchFailed(logger, batch.Count, e.GetType().Name, delay.TotalMilliseconds);
                await Task.Delay(delay);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    /// <summary>After shutdown has closed the queue, a late settle is written on its own rather than lost.</summary>
    private async Task WriteDirectAsync(Pending pending)
    {
        try
        {
            var applied = await store.ApplyBatchAsync([pending.Entry], CancellationToken.None);
            Complete(pending, applied[0], inline: false);
        }
        catch (Exception e)
        {
            Log.LedgerBatchFailed(logger, 1, e.GetType().Name, 0);
            pending.TrySetException(e);
        }
    }

    private static void Complete(Pending pending, AppliedEntry applied, bool inline)
    {
        pending.OnCommitted?.Invoke(applied);
        if (!pending.Awaited) return;
        if (inline) pending.TrySetResult(applied);
        else
        {
            pending.Applied = applied;
            ThreadPool.UnsafeQueueUserWorkItem(pending, preferLocal: false);
        }
    }

    private async Task RefreshQuietlyAsync()
    {
        if (Refresh is null) return;
        try
        {
            await Refresh(CancellationToken.None);
        }
        catch (Exception e)
        {
            Log.LedgerRefreshFailed(logger, e.GetType().Name);
        }
    }

    /// <summary>An entry and the wait of the request that queued it; it is also the pool's work item that ends that wait.</summary>
    private sealed class Pending(LedgerEntry entry, Action<AppliedEntry>? onCommitted, bool awaited) : TaskCompletionSource<AppliedEntry>, IThreadPoolWorkItem
    {
        public LedgerEntry Entry { get; } = entry;
        public Action<AppliedEntry>? OnCommitted { get; } = onCommitted;
        /// <summary>False for <see cref="Post"/>: nobody waits, so nothing is completed.</summary>
        public bool Awaited { get; } = awaited;
        public AppliedEntry Applied { get; set; }

        public void Execute() => TrySetResult(Applied);
    }
}
