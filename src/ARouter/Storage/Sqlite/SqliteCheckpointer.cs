using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ARouter.Storage.Sqlite;

/// <summary>
/// Copies the write-ahead log into the database file on a connection of its own, off the commit a request waits
/// for. Left to SQLite alone, the commit that pushes the log past <c>wal_autocheckpoint</c> pages runs the
/// checkpoint inside itself, and its two fsyncs, whose cost grows with the frames copied (4–5 ms each for 1,000
/// pages on the benchmark machine), stall that request and every settle queued behind it.
/// <para>
/// After each commit the ledger writer wakes this loop, which (after <see cref="Coalesce"/>) runs one PASSIVE checkpoint at a time (it never
/// blocks the writer or a reader, and syncs as the writer's own would). When the writer is between batches it
/// copies everything, and the log can start over from the beginning (SQLite restarts it only then, and only when no
/// reader is on an older snapshot). The first frame written after that rewrites the log's header and syncs it, so the
/// writer writes one page at once, between batches (<see cref="StartLogOverAsync"/>), rather than in the next settle's commit.
/// A writer that keeps committing outruns a PASSIVE checkpoint, so this alone would let the log grow without
/// end. The writer's connection therefore keeps SQLite's automatic checkpoint at its default
/// <see cref="AutoCheckpointPages"/> as the bound: by the time it fires this loop has copied all but the last few
/// commits, so it copies little and is short, and the log restarts after it.
/// </para>
/// <para>
/// Readers can still hold a restart off: the writer restarts the log only if no reader is on a snapshot older
/// than the last copy, and busy readers often are. When the log has grown to <see cref="RestartPages"/> anyway,
/// this loop takes the writer's gate (so the next batch waits; polling SQLite's write lock would lose to a busy
/// writer every time) and runs a RESTART checkpoint: it copies the few frames left and waits for those readers to
/// finish (both well under a millisecond), after which the writer's next commit restarts the log.
/// </para>
/// A failed checkpoint only leaves the log longer until the next one; nothing committed depends on it.
/// </summary>
internal sealed class SqliteCheckpointer : IAsyncDisposable
{
    /// <summary>The writer's automatic checkpoint, the bound under sustained commits: ~4 MB of 4 KiB pages (SQLite's default).</summary>
    public const int AutoCheckpointPages = 1_000;

    /// <summary>The log's length (~8 MB) at which readers have held a restart off long enough to make one.</summary>
    public const int RestartPages = 2 * AutoCheckpointPages;

    /// <summary>
    /// How long a wake-up waits for more commits before checkpointing. A checkpoint after every commit (two fsyncs each)
    /// cost a request at one connection more than the stall it removes (idle machine, chat: p50 0.40–0.45 → 0.57–0.62 ms,
    /// throughput −25 %); coalescing 10 ms of commits gave p50 0.34–0.45 ms and p99 3.0–4.0 ms (SQLite alone: 4.8–8.7).
    /// </summary>
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(10);

    /// <summary>How long after the writer's last commit the log may be started over between batches (a sync of ~0.5 ms holds the gate).</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(2);

    /// <summary>How long a RESTART checkpoint waits for the writer and for readers on old snapshots.</summary>
    private const int BusyTimeoutMs = 2_000;

    /// <summary>
    /// What the log file is cut back to when it restarts after growing past it (readers held the restart off).
    /// Twice the ~4 MB the log normally reaches: the cut is an ftruncate inside the writer's commit, and cutting
    /// at every restart (a 4 MB limit) measured as bad as the checkpoint this class takes off the commit.
    /// </summary>
    public const long JournalSizeLimitBytes = 8 << 20;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writerGate;
    private readonly Action _startLogOver;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private int _signalled;
    /// <summary>When the writer last committed (<see cref="Stopwatch"/> ticks): unchanged means no commit since.</summary>
    private long _lastCommit;
    private SqliteConnection? _connection;

    /// <param name="connectionString">The store's, with pooling off: this connection is held for the store's lifetime.</param>
    /// <param name="writerGate">What the ledger writer holds while it runs a batch.</param>
    /// <param name="startLogOver">Runs the writer's one-page write on the writer's connection; called with the gate held.</param>
    public SqliteCheckpointer(string connectionString, SemaphoreSlim writerGate, Action startLogOver)
    {
        _connectionString = connectionString;
        _writerGate = writerGate;
        _startLogOver = startLogOver;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Called by the ledger writer after each commit: at most one wake-up is pending, however many commits.</summary>
    public void Committed()
    {
        Volatile.Write(ref _lastCommit, Stopwatch.GetTimestamp());
        if (Interlocked.Exchange(ref _signalled, 1) == 0) _wake.Release();
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                await _wake.WaitAsync(_stopping.Token);
                await Task.Delay(Coalesce, _stopping.Token);
                Volatile.Write(ref _signalled, 0);
                await CheckpointAsync(Volatile.Read(ref _lastCommit));
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <param name="lastCommit">When the writer's last commit before this checkpoint was made.</param>
    private async Task CheckpointAsync(long lastCommit)
    {
        try
        {
            _connection ??= Open();
            var db = _connection.Handle!;
            var rc = raw.sqlite3_wal_checkpoint_v2(db, null, raw.SQLITE_CHECKPOINT_PASSIVE, out var logPages, out var copiedPages);
            if (rc == raw.SQLITE_OK && logPages > 0 && copiedPages == logPages && logPages < RestartPages)
            {
                await StartLogOverAsync(lastCommit);
            }
            else if (rc == raw.SQLITE_OK && logPages >= RestartPages)
            {
                await _writerGate.WaitAsync(_stopping.Token);
                try
                {
                    rc = raw.sqlite3_wal_checkpoint_v2(db, null, raw.SQLITE_CHECKPOINT_RESTART, out _, out _);
                }
                finally
                {
                    _writerGate.Release();
                }
            }
            // BUSY: another checkpoint (the writer's automatic one, another process's) holds the log, or a RESTART
            // waited its time out; the next commit wakes us again.
            if (rc is not (raw.SQLITE_OK or raw.SQLITE_BUSY)) SqliteException.ThrowExceptionForRC(rc, db);
        }
        catch (SqliteException)
        {
            // The next wake-up opens a fresh connection; until then the writer's automatic checkpoint bounds the log.
            _connection?.Dispose();
            _connection = null;
        }
    }

    /// <summary>
    /// Has the writer start the fully copied log over now (see <see cref="SqliteLedgerStatements.StartLogOver"/>), so the
    /// next settle is spared the header's sync — unless the writer committed since the copy began (the log is no longer
    /// fully copied), or within <see cref="Quiet"/>: commits that close together would queue on the gate behind that
    /// sync, several of them, where otherwise only the first after the copy pays it.
    /// </summary>
    private async Task StartLogOverAsync(long lastCommit)
    {
        if (Volatile.Read(ref _lastCommit) != lastCommit || Stopwatch.GetElapsedTime(lastCommit) < Quiet) return;
        await _writerGate.WaitAsync(_stopping.Token);
        try
        {
            if (Volatile.Read(ref _lastCommit) == lastCommit) _startLogOver();
        }
        finally
        {
            _writerGate.Release();
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
            raw.sqlite3_busy_timeout(connection.Handle, BusyTimeoutMs);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Stops the loop (a checkpoint in progress finishes first: milliseconds, a waiting RESTART at most its time out) and closes its connection.</summary>
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
