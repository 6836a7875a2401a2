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

    public Task<IReadOnlyList<TransactionRecord>> ListTransactionsAsync(string accountId, PageCursor? before, int limit, CancellationToken ct) =>
        FindTransactionsAsync(accountId, new ActivityFilter(null, null), before, limit, ct);

    public async Task<IReadOnlyList<TransactionRecord>> FindTransactionsAsync(string accountId, ActivityFilter filter, PageCursor? before, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, TransactionsPageSql).WithPage(accountId, filter, before, limit);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<TransactionRecord>();
        while (await r.ReadAsync(ct)) list.Add(ReadTransaction(r));
        return list;
    }

    /// <summary>
    /// A page of rows strictly older than the cursor, newest first. <c>created_at &lt;= @upto</c> is what lets the
    /// account's time index start at the cursor; without it a page deep in a long history scanned every newer row.
    /// </summary>
    internal const string PageCondition = "created_at <= @upto AND (created_at < @upto OR {0} < @bid)";

    /// <summary>
    /// Credits from <c>transactions</c> and charges from <c>generations</c> (a charge is its generation record), newest
    /// first by time, then id. Each side is cut to the page before they are merged, so a long history is never sorted whole.
    /// </summary>
    internal static readonly string TransactionsPageSql = $"""
        SELECT {TransactionColumns} FROM (
            SELECT {TransactionColumns} FROM transactions
            WHERE account_id = @a AND (@m IS NULL OR model = @m) AND (@k IS NULL OR key_id = @k) AND {string.Format(PageCondition, "id")}
            ORDER BY created_at DESC, id DESC LIMIT @n) AS credits
        UNION ALL
        SELECT {TransactionColumns} FROM (
            SELECT transaction_id AS id, 'charge' AS type, -cost_nanos AS amount_nanos, balance_after_nanos, NULL AS description, id AS generation_id,
                key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok
            FROM generations
            WHERE account_id = @a AND transaction_id IS NOT NULL AND (@m IS NULL OR model = @m) AND (@k IS NULL OR key_id = @k)
              AND {string.Format(PageCondition, "transaction_id")}
            ORDER BY created_at DESC, transaction_id DESC LIMIT @n) AS charges
        ORDER BY created_at DESC, id DESC LIMIT @n
        """;

    public async Task<GenerationRecord?> GetGenerationAsync(string accountId, string generationId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, $"SELECT {GenerationColumns} FROM generations WHERE id = @id AND account_id = @a").With("@id", generationId).With("@a", accountId);
        await using var r = await select.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadGeneration(r) : null;
    }

    private const string TransactionColumns =
        "id, type, amount_nanos, balance_after_nanos, description, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok";

    private static TransactionRecord ReadTransaction(DbDataReader r) => new(
        r.GetString(0), Enum.Parse<TransactionType>(r.GetString(1), ignoreCase: true), r.GetInt64(2), r.GetInt64(3),
        r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6),
        r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8),
        r.IsDBNull(9) ? null : r.GetInt32(9), r.IsDBNull(10) ? null : r.GetInt32(10), FromUnixMs(r.GetInt64(11))) { Byok = r.GetBoolean(12) };

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
