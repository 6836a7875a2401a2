namespace ARouter.Storage.Sql;

/// <summary>The dashboard's read-only views, in SQL both engines accept.</summary>
public abstract partial class SqlStore
{
    private const long MillisPerDay = 86_400_000;

    public async Task<IReadOnlyList<DailyModelSpend>> DailySpendAsync(string accountId, DateOnly fromDay, CancellationToken ct)
    {
        var since = new DateTimeOffset(fromDay.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, """
            SELECT created_at / @day AS d, model, CAST(SUM(cost_nanos) AS BIGINT), COUNT(*) FROM generations
            WHERE account_id = @a AND created_at >= @since GROUP BY created_at / @day, model ORDER BY d, model
            """).With("@day", MillisPerDay).With("@a", accountId).With("@since", since);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<DailyModelSpend>();
        while (await r.ReadAsync(ct))
            list.Add(new DailyModelSpend(DateOnly.FromDateTime(DateTime.UnixEpoch.AddDays(r.GetInt64(0))), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        return list;
    }

    public async Task<IReadOnlyList<GenerationRecord>> FindGenerationsAsync(string accountId, ActivityFilter filter, PageCursor? before, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, GenerationsPageSql).WithPage(accountId, filter, before, limit);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<GenerationRecord>();
        while (await r.ReadAsync(ct)) list.Add(ReadGeneration(r));
        return list;
    }

    internal static readonly string GenerationsPageSql = $"""
        SELECT {GenerationColumns} FROM generations
        WHERE account_id = @a AND (@m IS NULL OR model = @m) AND (@k IS NULL OR key_id = @k) AND {string.Format(PageCondition, "id")}
        ORDER BY created_at DESC, id DESC LIMIT @n
        """;

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
        // LIKE with the search's own % _ \ escaped; both sides lower-cased, so it is case-insensitive on both engines.
        var pattern = string.IsNullOrWhiteSpace(search) ? null
            : "%" + search.Trim().ToLowerInvariant().Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, """
            SELECT a.id, a.name, a.balance_nanos, a.total_credits_nanos, a.created_at, l.email
            FROM accounts a LEFT JOIN logins l ON l.account_id = a.id
            WHERE @q IS NULL OR lower(a.id) LIKE @q ESCAPE '\' OR lower(a.name) LIKE @q ESCAPE '\' OR coalesce(l.email_normalized, '') LIKE @q ESCAPE '\'
            ORDER BY a.created_at DESC, a.id DESC LIMIT @n OFFSET @o
            """).With("@q", pattern).With("@n", limit).With("@o", offset);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<AccountSummary>();
        while (await r.ReadAsync(ct))
            list.Add(new AccountSummary(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), FromUnixMs(r.GetInt64(4)), r.IsDBNull(5) ? null : r.GetString(5)));
        return list;
    }
}
