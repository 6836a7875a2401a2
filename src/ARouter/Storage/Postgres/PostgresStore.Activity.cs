namespace ARouter.Storage.Postgres;

public sealed partial class PostgresStore
{
    private const long MillisPerDay = 86_400_000;

    public async Task<IReadOnlyList<DailyModelSpend>> DailySpendAsync(string accountId, DateOnly fromDay, CancellationToken ct)
    {
        var since = new DateTimeOffset(fromDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, """
            SELECT created_at / @day AS d, model, SUM(cost_nanos)::bigint, COUNT(*) FROM generations
            WHERE account_id = @a AND created_at >= @since GROUP BY d, model ORDER BY d, model
            """).With("@day", MillisPerDay).With("@a", accountId).With("@since", since);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<DailyModelSpend>();
        while (await r.ReadAsync(ct))
            list.Add(new DailyModelSpend(DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(r.GetInt64(0))), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        return list;
    }

    public async Task<IReadOnlyList<GenerationRecord>> FindGenerationsAsync(string accountId, ActivityFilter filter, GenerationCursor? before, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, $"""
            SELECT {GenerationColumns} FROM generations
            WHERE account_id = @a AND (@m::text IS NULL OR model = @m) AND (@k::text IS NULL OR key_id = @k)
              AND (@bt::bigint IS NULL OR created_at < @bt OR (created_at = @bt AND id < @bid))
            ORDER BY created_at DESC, id DESC LIMIT @n
            """).With("@a", accountId).With("@m", filter.Model).With("@k", filter.KeyId)
            .With("@bt", before?.CreatedAt.ToUnixTimeMilliseconds()).With("@bid", before?.Id).With("@n", limit);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<GenerationRecord>();
        while (await r.ReadAsync(ct)) list.Add(ReadGeneration(r));
        return list;
    }

    public async Task<IReadOnlyList<TransactionRecord>> FindTransactionsAsync(string accountId, ActivityFilter filter, long? beforeSeq, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, $"""
            SELECT {TransactionColumns} FROM transactions
            WHERE account_id = @a AND (@m::text IS NULL OR model = @m) AND (@k::text IS NULL OR key_id = @k) AND (@before::bigint IS NULL OR seq < @before)
            ORDER BY seq DESC LIMIT @n
            """).With("@a", accountId).With("@m", filter.Model).With("@k", filter.KeyId).With("@before", beforeSeq).With("@n", limit);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<TransactionRecord>();
        while (await r.ReadAsync(ct)) list.Add(ReadTransaction(r));
        return list;
    }

    public async Task<IReadOnlyList<string>> UsedModelsAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, "SELECT DISTINCT model FROM generations WHERE account_id = @a ORDER BY model").With("@a", accountId);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<string>();
        while (await r.ReadAsync(ct)) list.Add(r.GetString(0));
        return list;
    }

    public async Task<IReadOnlyList<AccountSummary>> ListAccountsAsync(string? search, int offset, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, """
            SELECT a.id, a.name, a.balance_nanos, a.total_credits_nanos, a.created_at, l.email
            FROM accounts a LEFT JOIN logins l ON l.account_id = a.id
            WHERE @q::text IS NULL OR strpos(lower(a.id), @q) > 0 OR strpos(lower(a.name), @q) > 0 OR strpos(coalesce(l.email_normalized, ''), @q) > 0
            ORDER BY a.created_at DESC, a.id DESC LIMIT @n OFFSET @o
            """).With("@q", string.IsNullOrWhiteSpace(search) ? null : search.Trim().ToLowerInvariant()).With("@n", limit).With("@o", offset);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<AccountSummary>();
        while (await r.ReadAsync(ct))
            list.Add(new AccountSummary(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), FromUnixMs(r.GetInt64(4)), r.IsDBNull(5) ? null : r.GetString(5)));
        return list;
    }
}
