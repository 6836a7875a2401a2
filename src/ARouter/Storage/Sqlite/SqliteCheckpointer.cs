using System.Data.Common;

namespace ARouter.Storage.Sqlite;

/// <summary>
/// Moves the write-ahead log into the database file on a background connection. Left to SQLite, the commit that
/// pushes the log past 1,000 pages runs the checkpoint itself, and its two fsyncs (4–5 ms each on the benchmark
/// machine) stall that request and every settle queued behind it. The ledger writer's connection therefore has
/// automatic checkpoints off, and after every <see cref="CommitsPerCheckpoint"/> commits (or a second with any)
/// one PASSIVE checkpoint runs here: it copies what is committed without blocking readers or the writer, with the
/// same syncs, so durability is unchanged. One runs at a time; a failed one is simply tried again by the next trigger.
/// </summary>
internal sealed class SqliteCheckpointer(Func<CancellationToken, Task<DbConnection>> open)
{
    public const int CommitsPerCheckpoint = 32;
    private static readonly long MaxIntervalMs = 1_000;

    private int _commits;
    private long _lastStarted = Environment.TickCount64;
    private Task _running = Task.CompletedTask;

    /// <summary>Called by the ledger writer after each commit (one caller at a time).</summary>
    public void Committed()
    {
        _commits++;
        if (!_running.IsCompleted) return;
        if (_commits < CommitsPerCheckpoint && Environment.TickCount64 - _lastStarted < MaxIntervalMs) return;
        _commits = 0;
        _lastStarted = Environment.TickCount64;
        _running = Task.Run(RunAsync);
    }

    /// <summary>Waits for a checkpoint in progress (the store is closing).</summary>
    public Task DrainAsync() => _running;

    private async Task RunAsync()
    {
        try
        {
            await using var connection = await open(CancellationToken.None);
            await using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            await checkpoint.ExecuteNonQueryAsync();
        }
        catch (Exception)
        {
            // The log only grows until the next checkpoint succeeds; nothing committed is at risk.
        }
    }
}
