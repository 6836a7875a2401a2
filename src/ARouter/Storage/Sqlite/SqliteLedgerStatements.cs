using Microsoft.Data.Sqlite;

namespace ARouter.Storage.Sqlite;

/// <summary>
/// The ledger writer's own connection and the settle's statements, prepared once on its native handle and
/// re-bound by position per entry (<see cref="SqliteStatement"/>): parsing and planning them per batch, and
/// then Microsoft.Data.Sqlite's parameter binders per entry, cost more CPU than running them. Used by one
/// batch at a time (<see cref="SqliteStore.ApplyBatchAsync"/> serialises); a failed batch throws the whole
/// thing away so the retry starts on a fresh connection. The transaction itself (<c>BEGIN IMMEDIATE</c>,
/// <c>COMMIT</c>) stays with the <see cref="SqliteConnection"/>, which waits out a busy database.
/// </summary>
internal sealed class SqliteLedgerStatements : IDisposable
{
    private readonly SqliteStatement _balance;
    private readonly SqliteStatement _charge;
    private readonly SqliteStatement _accountUsage;
    private readonly SqliteStatement _keyUsage;
    private readonly SqliteStatement _generation;

    public SqliteLedgerStatements(SqliteConnection connection)
    {
        Connection = connection;
        var db = connection.Handle!;
        _balance = new SqliteStatement(db, "SELECT balance_nanos FROM accounts WHERE id = ?1");
        // INSERT OR IGNORE: the partial unique index on (generation_id) for charges makes a repeated settle a no-op.
        _charge = new SqliteStatement(db, """
            INSERT OR IGNORE INTO transactions (id, account_id, type, amount_nanos, balance_after_nanos, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok)
            VALUES (?1, ?2, 'charge', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
            """);
        _accountUsage = new SqliteStatement(db, "UPDATE accounts SET balance_nanos = ?1, total_usage_nanos = total_usage_nanos + ?2 WHERE id = ?3");
        _keyUsage = new SqliteStatement(db, "UPDATE api_keys SET usage_nanos = usage_nanos + ?1, last_used_at = ?2 WHERE id = ?3");
        _generation = new SqliteStatement(db, """
            INSERT OR IGNORE INTO generations (id, account_id, key_id, model, provider, upstream_model, endpoint, streamed, status, finish_reason, error_type,
                prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, usage_counted, cost_nanos, latency_ms, first_byte_ms, byok, created_at, attempts)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)
            """);
        Batch = new SqliteLedgerBatch(this);
    }

    public SqliteConnection Connection { get; }

    /// <summary>The running balances and usage of the batch in progress.</summary>
    public SqliteLedgerBatch Batch { get; }

    /// <summary>The account's balance as this transaction sees it; null when there is no such account.</summary>
    public long? ReadBalance(string accountId) => _balance.Bind(1, accountId).QueryInt64();

    /// <summary>Appends the charge's transaction row; false when the generation already has a charge.</summary>
    public bool InsertCharge(ChargeEntry charge, long chargedNanos, long balanceAfterNanos, long now)
    {
        var g = charge.Generation;
        return _charge.Bind(1, charge.TransactionId).Bind(2, charge.AccountId).Bind(3, -chargedNanos).Bind(4, balanceAfterNanos).Bind(5, g.Id)
            .Bind(6, g.KeyId).Bind(7, g.Model).Bind(8, g.Provider).Bind(9, g.PromptTokens).Bind(10, g.CompletionTokens).Bind(11, now).Bind(12, g.Byok)
            .Execute() == 1;
    }

    public void UpdateAccount(string accountId, long balanceNanos, long addedUsageNanos) =>
        _accountUsage.Bind(1, balanceNanos).Bind(2, addedUsageNanos).Bind(3, accountId).Execute();

    public void UpdateKey(string keyId, long addedUsageNanos, long now) =>
        _keyUsage.Bind(1, addedUsageNanos).Bind(2, now).Bind(3, keyId).Execute();

    /// <summary>Records the generation; false when it is already recorded.</summary>
    public bool InsertGeneration(GenerationRecord g, long costNanos) =>
        _generation.Bind(1, g.Id).Bind(2, g.AccountId).Bind(3, g.KeyId).Bind(4, g.Model).Bind(5, g.Provider).Bind(6, g.UpstreamModel)
            .Bind(7, g.Endpoint).Bind(8, g.Streamed).Bind(9, g.Status).Bind(10, g.FinishReason).Bind(11, g.ErrorType)
            .Bind(12, g.PromptTokens).Bind(13, g.CompletionTokens).Bind(14, g.CachedTokens).Bind(15, g.ReasoningTokens)
            .Bind(16, g.UsageCounted).Bind(17, costNanos).Bind(18, g.LatencyMs).Bind(19, g.FirstByteMs)
            .Bind(20, g.Byok).Bind(21, g.CreatedAt.ToUnixTimeMilliseconds()).Bind(22, g.AttemptsJson)
            .Execute() == 1;

    public void Dispose()
    {
        // Finalized before the connection goes back to the pool, which would otherwise keep them alive.
        _balance.Dispose();
        _charge.Dispose();
        _accountUsage.Dispose();
        _keyUsage.Dispose();
        _generation.Dispose();
        Connection.Dispose();
    }
}
