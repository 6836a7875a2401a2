using System.Data.Common;

namespace ARouter.Storage.Sql;

public abstract partial class SqlStore
{
    /// <summary>The generation record's columns, in the order both engines read and write them.</summary>
    protected const string GenerationColumns = """
        id, account_id, key_id, model, provider, upstream_model, endpoint, streamed, status, finish_reason, error_type,
        prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, usage_counted, cost_nanos, latency_ms, first_byte_ms, byok, created_at, attempts
        """;

    public async Task<long?> GetBalanceAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, "SELECT balance_nanos FROM accounts WHERE id = @a").With("@a", accountId);
        return await select.ExecuteScalarAsync(ct) is long balance ? balance : null;
    }

    public async Task<IReadOnlyList<TransactionRecord>> ListTransactionsAsync(string accountId, long? beforeSeq, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, $"""
            SELECT {TransactionColumns}
            FROM transactions WHERE account_id = @a AND (@before IS NULL OR seq < @before) ORDER BY seq DESC LIMIT @n
            """).With("@a", accountId).With("@before", beforeSeq).With("@n", limit);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<TransactionRecord>();
        while (await r.ReadAsync(ct)) list.Add(ReadTransaction(r));
        return list;
    }

    public virtual bool HasDeferredWrites => false;

    /// <summary>Writes what the ledger left for later (<see cref="ILedgerStore.HasDeferredWrites"/>), so the lists of generations include every committed charge's.</summary>
    protected virtual Task WriteDeferredAsync(CancellationToken ct) => Task.CompletedTask;

    public virtual async Task<GenerationRecord?> GetGenerationAsync(string accountId, string generationId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, $"SELECT {GenerationColumns} FROM generations WHERE id = @id AND account_id = @a").With("@id", generationId).With("@a", accountId);
        await using var r = await select.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadGeneration(r) : null;
    }

    private const string TransactionColumns =
        "seq, id, account_id, type, amount_nanos, balance_after_nanos, description, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok";

    private static TransactionRecord ReadTransaction(DbDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), Enum.Parse<TransactionType>(r.GetString(3), ignoreCase: true), r.GetInt64(4), r.GetInt64(5),
        r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8),
        r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10),
        r.IsDBNull(11) ? null : r.GetInt32(11), r.IsDBNull(12) ? null : r.GetInt32(12), FromUnixMs(r.GetInt64(13))) { Byok = r.GetBoolean(14) };

    private static GenerationRecord ReadGeneration(DbDataReader r) => new()
    {
        Id = r.GetString(0), AccountId = r.GetString(1), KeyId = r.GetString(2), Model = r.GetString(3), Provider = r.GetString(4),
        UpstreamModel = r.GetString(5), Endpoint = r.GetString(6), Streamed = r.GetBoolean(7), Status = r.GetInt32(8),
        FinishReason = r.IsDBNull(9) ? null : r.GetString(9), ErrorType = r.IsDBNull(10) ? null : r.GetString(10),
        PromptTokens = r.GetInt32(11), CompletionTokens = r.GetInt32(12), CachedTokens = r.GetInt32(13), ReasoningTokens = r.GetInt32(14),
        UsageCounted = r.GetBoolean(15), CostNanos = r.GetInt64(16), LatencyMs = r.GetInt64(17),
        FirstByteMs = r.IsDBNull(18) ? null : r.GetInt64(18), Byok = r.GetBoolean(19), CreatedAt = FromUnixMs(r.GetInt64(20)), AttemptsJson = r.IsDBNull(21) ? null : r.GetString(21),
    };
}
