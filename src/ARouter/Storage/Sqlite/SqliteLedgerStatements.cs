using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ARouter.Storage.Sqlite;

/// <summary>
/// The ledger writer's own connection and every statement a batch runs, prepared once on its native handle and
/// re-bound by position per entry (<see cref="SqliteStatement"/>): parsing and planning them per batch, and
/// Microsoft.Data.Sqlite's commands, parameter binders and transaction object per entry and batch, cost more
/// CPU than running them. Used by one batch at a time (<see cref="SqliteStore.ApplyBatchAsync"/> serialises);
/// a failed batch is rolled back and the whole thing thrown away, so the retry starts on a fresh connection.
/// The connection is not pooled: closing it closes the database handle, which ends any transaction left open.
/// </summary>
internal sealed class SqliteLedgerStatements : IDisposable
{
    private readonly SqliteStatement _balance;
    private readonly SqliteStatement _accountUsage;
    private readonly SqliteStatement _keyUsage;
    private readonly SqliteStatement _generation;
    private readonly SqliteStatement _credit;
    private readonly SqliteStatement _creditRow;
    private readonly SqliteStatement _begin;
    private readonly SqliteStatement _commit;
    private readonly SqliteStatement _rollback;
    private readonly SqliteStatement _userVersion;
    private readonly int _busyTimeoutMs;
    private readonly List<SqliteStatement> _all = [];

    /// <param name="busyTimeout">How long <c>BEGIN IMMEDIATE</c> waits for another process's write lock (SQLite's busy handler).</param>
    public SqliteLedgerStatements(SqliteConnection connection, TimeSpan busyTimeout)
    {
        Connection = connection;
        var db = connection.Handle!;
        _busyTimeoutMs = (int)busyTimeout.TotalMilliseconds;
        raw.sqlite3_busy_timeout(db, _busyTimeoutMs);
        // IMMEDIATE takes the write lock at the start, so the balances a batch reads stay its own until it commits.
        _begin = Prepare(db, "BEGIN IMMEDIATE");
        _commit = Prepare(db, "COMMIT");
        _rollback = Prepare(db, "ROLLBACK");
        _balance = Prepare(db, "SELECT balance_nanos FROM accounts WHERE id = ?1");
        _userVersion = Prepare(db, "PRAGMA user_version");
        _accountUsage = Prepare(db, "UPDATE accounts SET balance_nanos = ?1, total_usage_nanos = total_usage_nanos + ?2 WHERE id = ?3");
        _keyUsage = Prepare(db, "UPDATE api_keys SET usage_nanos = usage_nanos + ?1, last_used_at = ?2 WHERE id = ?3");
        // INSERT OR IGNORE: the generation's primary key makes a repeated settle a no-op, so a charge is made at most once.
        _generation = Prepare(db, """
            INSERT OR IGNORE INTO generations (id, account_id, key_id, model, provider, upstream_model, endpoint, streamed, status, finish_reason, error_type,
                prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, usage_counted, cost_nanos, latency_ms, first_byte_ms, byok, created_at, attempts,
                transaction_id, balance_after_nanos)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)
            """);
        _credit = Prepare(db,
            "UPDATE accounts SET balance_nanos = balance_nanos + ?1, total_credits_nanos = total_credits_nanos + ?1 WHERE id = ?2 RETURNING balance_nanos");
        _creditRow = Prepare(db,
            "INSERT INTO transactions (id, account_id, type, amount_nanos, balance_after_nanos, description, created_at) VALUES (?1, ?2, 'credit', ?3, ?4, ?5, ?6)");
        Batch = new SqliteLedgerBatch(this);
    }

    private SqliteConnection Connection { get; }

    /// <summary>The running balances and usage of the batch in progress.</summary>
    public SqliteLedgerBatch Batch { get; }

    /// <summary>The account's balance as this transaction sees it; null when there is no such account.</summary>
    public long? ReadBalance(string accountId) => _balance.Bind(1, accountId).QueryInt64();

    /// <summary>Appends the charge: its generation record, with the amount charged and the balance it left; false when the generation is already recorded.</summary>
    public bool InsertCharge(ChargeEntry charge, long chargedNanos, long balanceAfterNanos) =>
        BindGeneration(charge.Generation, chargedNanos).Bind(23, charge.TransactionId).Bind(24, balanceAfterNanos).Execute() == 1;

    public void UpdateAccount(string accountId, long balanceNanos, long addedUsageNanos) =>
        _accountUsage.Bind(1, balanceNanos).Bind(2, addedUsageNanos).Bind(3, accountId).Execute();

    public void UpdateKey(string keyId, long addedUsageNanos, long now) =>
        _keyUsage.Bind(1, addedUsageNanos).Bind(2, now).Bind(3, keyId).Execute();

    /// <summary>Records a generation that charged nothing; false when it is already recorded.</summary>
    public bool InsertUncharged(GenerationRecord g) => BindGeneration(g, 0).Bind(23, (string?)null).Bind(24, (long?)null).Execute() == 1;

    private SqliteStatement BindGeneration(GenerationRecord g, long costNanos) =>
        _generation.Bind(1, g.Id).Bind(2, g.AccountId).Bind(3, g.KeyId).Bind(4, g.Model).Bind(5, g.Provider).Bind(6, g.UpstreamModel)
            .Bind(7, g.Endpoint).Bind(8, g.Streamed).Bind(9, g.Status).Bind(10, g.FinishReason).Bind(11, g.ErrorType)
            .Bind(12, g.PromptTokens).Bind(13, g.CompletionTokens).Bind(14, g.CachedTokens).Bind(15, g.ReasoningTokens)
            .Bind(16, g.UsageCounted).Bind(17, costNanos).Bind(18, g.LatencyMs).Bind(19, g.FirstByteMs)
            .Bind(20, g.Byok).Bind(21, g.CreatedAt.ToUnixTimeMilliseconds()).Bind(22, g.AttemptsJson);

    /// <summary>Adds the credit and appends its transaction row; the balance after it, or null when there is no such account.</summary>
    public long? Credit(CreditEntry credit, long now)
    {
        if (_credit.Bind(1, credit.AmountNanos).Bind(2, credit.AccountId).QueryInt64() is not { } balanceAfter) return null;
        _creditRow.Bind(1, credit.TransactionId).Bind(2, credit.AccountId).Bind(3, credit.AmountNanos).Bind(4, balanceAfter)
            .Bind(5, credit.Description).Bind(6, now).Execute();
        return balanceAfter;
    }

    /// <summary>
    /// Writes one page, unchanged (the database header's <c>user_version</c>), so that a fully copied log starts over
    /// now: the first frame after a full checkpoint rewrites the log's header and syncs it (an fsync, 0.4–0.5 ms on
    /// the benchmark machine), which otherwise lands in the commit of the next settle after every pause. On this
    /// connection, not the checkpointer's, because a write by another connection makes this one drop its page cache.
    /// Never waits for another process's write lock, and leaves no transaction open; a failure only leaves the
    /// restart to the next commit.
    /// </summary>
    public void StartLogOver()
    {
        var db = Connection.Handle!;
        raw.sqlite3_busy_timeout(db, 0);
        try
        {
            if (raw.sqlite3_exec(db, "BEGIN IMMEDIATE") != raw.SQLITE_OK) return;
            var version = _userVersion.QueryInt64() ?? 0;
            if (raw.sqlite3_exec(db, $"PRAGMA user_version = {version}; COMMIT") != raw.SQLITE_OK) TryRollback();
        }
        catch (SqliteException)
        {
            TryRollback();
        }
        finally
        {
            raw.sqlite3_busy_timeout(db, _busyTimeoutMs);
        }
    }

    public void Begin() => _begin.Execute();

    public void Commit() => _commit.Execute();

    /// <summary>Best effort, on the way to closing the connection: SQLite may already have rolled back, and closing ends the transaction anyway.</summary>
    public void TryRollback()
    {
        try
        {
            if (raw.sqlite3_get_autocommit(Connection.Handle) == 0) _rollback.Execute();
        }
        catch (SqliteException)
        {
        }
    }

    private SqliteStatement Prepare(sqlite3 db, string sql)
    {
        try
        {
            var statement = new SqliteStatement(db, sql);
            _all.Add(statement);
            return statement;
        }
        catch
        {
            // The connection is closed by whoever opened it; it could not close while these live.
            foreach (var prepared in _all) prepared.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        // Finalized before the connection closes, which could not close the handle while they live.
        foreach (var statement in _all) statement.Dispose();
        Connection.Dispose();
    }
}
