using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ARouter.Storage.Sqlite;

/// <summary>
/// Copies the write-ahead log into the database file on a connection of its own, off the commit a request waits
/// for. Left to SQLite alone, the commit that pushes the log past <c>wal_autocheckpoint</c> pages runs the
/// checkpoint inside itself, and its two fsyncs (their cost grows with the frames copied: 4–5 ms each for
/// 1,000 pages on the benchmark machine) stall that request and every settle queued behind it.
/// <para>
/// After each commit the ledger writer wakes this loop, which runs one PASSIVE checkpoint at a time (it never
/// blocks the writer or a reader; same syncs as the writer's own). When the writer is between batches the
/// checkpoint copies everything, and the writer's next transaction finds the log fully copied and restarts it from
/// the beginning for free (SQLite restarts the log only then, and only when no reader is still on an older
/// snapshot). A writer that keeps committing outruns a PASSIVE checkpoint, so it alone never lets the log
/// restart: the writer's connection keeps SQLite's automatic checkpoint as the bound
/// (<see cref="AutoCheckpointPages"/>), and since this loop has copied all but the last few commits by then, that
/// one copies little and is short. <see cref="JournalSizeLimitBytes"/> shrinks the file after a restart.
/// </para>
/// A failed checkpoint only leaves the log longer until the next one; nothing committed depends on it.
/// </summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    /// <summary>The writer's automatic checkpoint, the bound under sustained commits: ~16 MB of 4 KiB pages.</summary>
    public const int AutoCheckpointPages = 4_000;

    /// <summary>What the log file is cut back to when it restarts after growing past it.</summary>
    public const long JournalSizeLimitBytes = 4 << 20;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private int _signalled;
    private SqliteConnection? _connection;

    /// <param name="connectionString">The store's, with pooling off: this connection is held for the store's lifetime.</param>
    public SqliteCheckpointer(string connectionString)
    {
        _connectionString = connectionString;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Called by the ledger writer after each commit: at most one wake-up is pending, however many commits.</summary>
    public void Committed()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 0) _wake.Release();
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                await _wake.WaitAsync(_stopping.Token);
                Volatile.Write(ref _signalled, 0);
                Checkpoint();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private void Checkpoint()
    {
        try
        {
            _connection ??= Open();
            var rc = raw.sqlite3_wal_checkpoint_v2(_connection.Handle, null, raw.SQLITE_CHECKPOINT_PASSIVE, out _, out _);
            // BUSY: another checkpoint (the writer's automatic one, another process's) holds the log; the next commit wakes us again.
            if (rc is not (raw.SQLITE_OK or raw.SQLITE_BUSY)) SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
        catch (SqliteException)
        {
            // The next wake-up opens a fresh connection; until then the writer's automatic checkpoint bounds the log.
            _connection?.Dispose();
            _connection = null;
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            // The checkpoint's syncs follow this connection's setting: the same as the writer's.
            pragma.CommandText = "PRAGMA synchronous=NORMAL;";
            pragma.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Stops the loop (a checkpoint in progress finishes first: it takes milliseconds) and closes its connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        _connection?.Dispose();
        _connection = null;
        _stopping.Dispose();
        _wake.Dispose();
    }
}
