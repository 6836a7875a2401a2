using Npgsql;

namespace ARouter.Storage.Postgres;

public sealed partial class PostgresStore
{
    private const string GenerationColumns = """
        id, account_id, key_id, model, provider, upstream_model, endpoint, streamed, status, finish_reason, error_type,
        prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, usage_counted, cost_nanos, latency_ms, first_byte_ms, byok, created_at, attempts
        """;

    private const string GenerationValues = "@gid, @ga, @k, @m, @p, @um, @e, @s, @st, @f, @err, @pt, @ctk, @cch, @rt, @uc, {0}, @lat, @fb, @byok, @at, @att";

    /// <summary>
    /// One charge in one statement: the transaction row is computed from the locked balance (capped so it
    /// cannot go below zero) and skipped when the generation already has a charge; the balance, the key's
    /// usage and the generation record follow only from a row that was inserted.
    /// </summary>
    private static readonly string ChargeSql = $"""
        WITH charged AS (
            INSERT INTO transactions (id, account_id, type, amount_nanos, balance_after_nanos, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok)
            SELECT @id, @a, 'charge', -LEAST(@amt, balance_nanos), balance_nanos - LEAST(@amt, balance_nanos), @gid, @k, @m, @p, @pt, @ctk, @now, @byok FROM accounts WHERE id = @a
            ON CONFLICT (generation_id) WHERE type = 'charge' DO NOTHING
            RETURNING -amount_nanos AS cost, balance_after_nanos AS after
        ), account_update AS (
            UPDATE accounts SET balance_nanos = charged.after, total_usage_nanos = total_usage_nanos + charged.cost FROM charged WHERE accounts.id = @a
        ), key_update AS (
            UPDATE api_keys SET usage_nanos = usage_nanos + charged.cost, last_used_at = @now FROM charged WHERE api_keys.id = @k
        ), generation_insert AS (
            INSERT INTO generations ({GenerationColumns}) SELECT {string.Format(GenerationValues, "charged.cost")} FROM charged
            ON CONFLICT (id) DO NOTHING
        )
        SELECT cost, after FROM charged
        """;

    private static readonly string GenerationOnlySql = $"""
        INSERT INTO generations ({GenerationColumns}) VALUES ({string.Format(GenerationValues, "0")}) ON CONFLICT (id) DO NOTHING
        """;

    public async Task<long?> GetBalanceAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, "SELECT balance_nanos FROM accounts WHERE id = @a").With("@a", accountId);
        return await select.ExecuteScalarAsync(ct) is long balance ? balance : null;
    }

    public async Task<IReadOnlyList<AppliedEntry>> ApplyBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockAccountsAsync(connection, tx, entries, ct);
        var results = new AppliedEntry[entries.Count];
        var now = Now();
        for (var i = 0; i < entries.Count; i++)
        {
            results[i] = entries[i] switch
            {
                ChargeEntry charge => await ApplyChargeAsync(connection, tx, charge, now, ct),
                CreditEntry credit => await ApplyCreditAsync(connection, tx, credit, now, ct),
                GenerationOnlyEntry only => new AppliedEntry(only, await InsertGenerationOnlyAsync(connection, tx, only.Generation, ct), 0),
                _ => throw new InvalidOperationException($"Unknown ledger entry {entries[i].GetType().Name}."),
            };
        }
        await tx.CommitAsync(ct);
        return results;
    }

    /// <summary>
    /// Row-locks every account the batch touches, in one fixed order, before anything is written: another
    /// instance's writer touching the same accounts waits for this commit (and then reads the balance it
    /// left), and two writers can never hold each other's locks.
    /// </summary>
    private static async Task LockAccountsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<LedgerEntry> entries, CancellationToken ct)
    {
        var ids = entries.Select(e => e.AccountId).Distinct(StringComparer.Ordinal).ToArray();
        await using var lockRows = Command(connection, "SELECT id FROM accounts WHERE id = ANY(@ids) ORDER BY id FOR UPDATE", tx).With("@ids", ids);
        await lockRows.ExecuteNonQueryAsync(ct);
    }

    private static async Task<AppliedEntry> ApplyChargeAsync(NpgsqlConnection connection, NpgsqlTransaction tx, ChargeEntry charge, long now, CancellationToken ct)
    {
        await using var insert = Command(connection, ChargeSql, tx)
            .With("@id", charge.TransactionId).With("@a", charge.AccountId).With("@amt", charge.AmountNanos).With("@now", now);
        AddGeneration(insert, charge.Generation);
        await using var reader = await insert.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return new AppliedEntry(charge, false, 0);
        var charged = reader.GetInt64(0);
        return new AppliedEntry(charge with { AmountNanos = charged }, true, reader.GetInt64(1));
    }

    private static async Task<AppliedEntry> ApplyCreditAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CreditEntry credit, long now, CancellationToken ct)
    {
        await using var update = Command(connection,
            "UPDATE accounts SET balance_nanos = balance_nanos + @amt, total_credits_nanos = total_credits_nanos + @amt WHERE id = @a RETURNING balance_nanos", tx);
        if (await update.With("@amt", credit.AmountNanos).With("@a", credit.AccountId).ExecuteScalarAsync(ct) is not long balanceAfter)
            return new AppliedEntry(credit, false, 0);
        await InsertCreditTransactionAsync(connection, tx, credit.AccountId, credit.AmountNanos, balanceAfter, credit.Description, credit.TransactionId, now, ct);
        return new AppliedEntry(credit, true, balanceAfter);
    }

    private static async Task<bool> InsertGenerationOnlyAsync(NpgsqlConnection connection, NpgsqlTransaction tx, GenerationRecord g, CancellationToken ct)
    {
        await using var insert = Command(connection, GenerationOnlySql, tx);
        AddGeneration(insert, g);
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }

    private static void AddGeneration(NpgsqlCommand command, GenerationRecord g) =>
        command.With("@gid", g.Id).With("@ga", g.AccountId).With("@k", g.KeyId).With("@m", g.Model).With("@p", g.Provider).With("@um", g.UpstreamModel)
            .With("@e", g.Endpoint).With("@s", g.Streamed).With("@st", g.Status).With("@f", g.FinishReason).With("@err", g.ErrorType)
            .With("@pt", g.PromptTokens).With("@ctk", g.CompletionTokens).With("@cch", g.CachedTokens).With("@rt", g.ReasoningTokens)
            .With("@uc", g.UsageCounted).With("@lat", g.LatencyMs).With("@fb", g.FirstByteMs)
            .With("@byok", g.Byok).With("@at", g.CreatedAt.ToUnixTimeMilliseconds()).With("@att", g.AttemptsJson);

    public async Task<IReadOnlyList<TransactionRecord>> ListTransactionsAsync(string accountId, long? beforeSeq, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, """
            SELECT seq, id, account_id, type, amount_nanos, balance_after_nanos, description, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok
            FROM transactions WHERE account_id = @a AND (@before::bigint IS NULL OR seq < @before) ORDER BY seq DESC LIMIT @n
            """).With("@a", accountId).With("@before", beforeSeq).With("@n", limit);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<TransactionRecord>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new TransactionRecord(
                r.GetInt64(0), r.GetString(1), r.GetString(2), Enum.Parse<TransactionType>(r.GetString(3), ignoreCase: true), r.GetInt64(4), r.GetInt64(5),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8),
                r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10),
                r.IsDBNull(11) ? null : r.GetInt32(11), r.IsDBNull(12) ? null : r.GetInt32(12), FromUnixMs(r.GetInt64(13))) { Byok = r.GetBoolean(14) });
        }
        return list;
    }

    public async Task<GenerationRecord?> GetGenerationAsync(string accountId, string generationId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, $"SELECT {GenerationColumns} FROM generations WHERE id = @id AND account_id = @a").With("@id", generationId).With("@a", accountId);
        await using var r = await select.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new GenerationRecord
        {
            Id = r.GetString(0), AccountId = r.GetString(1), KeyId = r.GetString(2), Model = r.GetString(3), Provider = r.GetString(4),
            UpstreamModel = r.GetString(5), Endpoint = r.GetString(6), Streamed = r.GetBoolean(7), Status = r.GetInt32(8),
            FinishReason = r.IsDBNull(9) ? null : r.GetString(9), ErrorType = r.IsDBNull(10) ? null : r.GetString(10),
            PromptTokens = r.GetInt32(11), CompletionTokens = r.GetInt32(12), CachedTokens = r.GetInt32(13), ReasoningTokens = r.GetInt32(14),
            UsageCounted = r.GetBoolean(15), CostNanos = r.GetInt64(16), LatencyMs = r.GetInt64(17),
            FirstByteMs = r.IsDBNull(18) ? null : r.GetInt64(18), Byok = r.GetBoolean(19), CreatedAt = FromUnixMs(r.GetInt64(20)), AttemptsJson = r.IsDBNull(21) ? null : r.GetString(21),
        };
    }
}
