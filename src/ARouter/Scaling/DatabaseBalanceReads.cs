using System.Collections.Concurrent;
using System.Diagnostics;
using ARouter.Storage;

namespace ARouter.Scaling;

/// <summary>
/// Reads an account's committed balance (and a key's usage) from the database for holds that Redis could not
/// decide alone. Concurrent holders share one read, but only a read that started after the holder learned
/// the epoch it will offer the value with: an older read could predate the change that moved the epoch.
/// This keeps a burst of requests on one account from turning into a burst of database reads.
/// </summary>
public sealed class DatabaseBalanceReads(ILedgerStore ledgerStore, IKeyStore keyStore)
{
    private readonly ConcurrentDictionary<(string Account, string Key), Read> _reads = new();

    /// <param name="keyId">The key whose usage is wanted too, or null.</param>
    /// <param name="observedAt">When the holder learned its epoch (<see cref="Stopwatch.GetTimestamp"/>).</param>
    public async Task<(long? Balance, long? KeyUsage)> ReadAsync(string accountId, string? keyId, long observedAt, CancellationToken ct)
    {
        var slot = (accountId, keyId ?? "");
        while (true)
        {
            if (_reads.TryGetValue(slot, out var running) && running.StartedAt > observedAt) return await running.AsTask.WaitAsync(ct);
            var mine = new Read(Stopwatch.GetTimestamp(), new TaskCompletionSource<(long?, long?)>(TaskCreationOptions.RunContinuationsAsynchronously));
            if (running is null ? !_reads.TryAdd(slot, mine) : !_reads.TryUpdate(slot, mine, running)) continue;
            try
            {
                var balance = await ledgerStore.GetBalanceAsync(accountId, CancellationToken.None);
                long? usage = keyId is null ? null : (await keyStore.GetKeyAsync(accountId, keyId, CancellationToken.None))?.UsageNanos;
                mine.Task.SetResult((balance, usage));
            }
            catch (Exception e)
            {
                mine.Task.SetException(e);
            }
            finally
            {
                _reads.TryRemove(new KeyValuePair<(string, string), Read>(slot, mine));
            }
            return await mine.Task.Task.WaitAsync(ct);
        }
    }

    private sealed record Read(long StartedAt, TaskCompletionSource<(long?, long?)> Task)
    {
        public Task<(long?, long?)> AsTask => Task.Task;
    }
}
