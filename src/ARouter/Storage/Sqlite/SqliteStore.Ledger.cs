using Microsoft.Data.Sqlite;

namespace ARouter.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public async Task<long?> GetBalanceAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, "SELECT balance_nanos FROM accounts WHERE id = @a").With("@a", accountId);
        return await select.ExecuteScalarAsync(ct) is long balance ? balance : null;
    }

    public async Task<IReadOnlyList<AppliedEntry>> ApplyBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct)
    {
        await _ledgerGate.WaitAsync(ct);
        try
        {
            _ledger ??= new SqliteLedgerStatements(await OpenAsync(ct));
            var statements = _ledger;
            var connection = statements.Connection;
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
            statements.Enlist(tx);
            var results = new AppliedEntry[entries.Count];
            var now = Now();
            for (var i = 0; i < entries.Count; i++)
            {
                results[i] = entries[i] switch
                {
                    ChargeEntry charge => await ApplyChargeAsync(statements, charge, now, ct),
                    CreditEntry credit => await ApplyCreditAsync(connection, tx, credit, now, ct),
                    GenerationOnlyEntry only => new AppliedEntry(only, await InsertGenerationAsync(statements, only.Generation, 0, ct), 0),
                    _ => throw new InvalidOperationException($"Unknown ledger entry {entries[i].GetType().Name}."),
                };
            }
            await tx.CommitAsync(ct);
            return results;
        }
        catch
        {
            // Whatever went wrong, the retry gets a fresh connection and freshly prepared statements.
            _ledger?.Dispose();
            _ledger = null;
            throw;
        }
        finally
        {
            _ledgerGate.Release();
        }
    }

    private static async Task<AppliedEntry> ApplyChargeAsync(SqliteLedgerStatements statements, ChargeEntry charge, long now, CancellationToken ct)
    {
        var g = charge.Generation;
        var insert = statements.Charge.Set("@id", charge.TransactionId).Set("@a", charge.AccountId).Set("@amt", charge.AmountNanos).Set("@g", g.Id)
            .Set("@k", g.KeyId).Set("@m", g.Model).Set("@p", g.Provider).Set("@pt", g.PromptTokens).Set("@ctk", g.CompletionTokens).Set("@now", now).Set("@byok", g.Byok ? 1 : 0);
        long charged, balanceAfter;
        await using (var reader = await insert.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return new AppliedEntry(charge, false, 0);
            charged = reader.GetInt64(0);
            balanceAfter = reader.GetInt64(1);
        }
        await statements.AccountUsage.Set("@after", balanceAfter).Set("@c", charged).Set("@a", charge.AccountId).ExecuteNonQueryAsync(ct);
        await statements.KeyUsage.Set("@c", charged).Set("@now", now).Set("@k", g.KeyId).ExecuteNonQueryAsync(ct);
        await InsertGenerationAsync(statements, g, charged, ct);
        return new AppliedEntry(charge with { AmountNanos = charged }, true, balanceAfter);
    }

    private static async Task<AppliedEntry> ApplyCreditAsync(SqliteConnection connection, SqliteTransaction tx, CreditEntry credit, long now, CancellationToken ct)
    {
        await using var update = Command(connection,
            "UPDATE accounts SET balance_nanos = balance_nanos + @amt, total_credits_nanos = total_credits_nanos + @amt WHERE id = @a RETURNING balance_nanos", tx);
        if (await update.With("@amt", credit.AmountNanos).With("@a", credit.AccountId).ExecuteScalarAsync(ct) is not long balanceAfter)
            return new AppliedEntry(credit, false, 0);
        await InsertCreditTransactionAsync(connection, tx, credit.AccountId, credit.AmountNanos, balanceAfter, credit.Description, credit.TransactionId, now, ct);
        return new AppliedEntry(credit, true, balanceAfter);
    }

    private static async Task<bool> InsertGenerationAsync(SqliteLedgerStatements statements, GenerationRecord g, long costNanos, CancellationToken ct)
    {
        var insert = statements.Generation.Set("@id", g.Id).Set("@a", g.AccountId).Set("@k", g.KeyId).Set("@m", g.Model).Set("@p", g.Provider).Set("@um", g.UpstreamModel)
            .Set("@e", g.Endpoint).Set("@s", g.Streamed ? 1 : 0).Set("@st", g.Status).Set("@f", g.FinishReason).Set("@err", g.ErrorType)
            .Set("@pt", g.PromptTokens).Set("@ctk", g.CompletionTokens).Set("@cch", g.CachedTokens).Set("@rt", g.ReasoningTokens)
            .Set("@uc", g.UsageCounted ? 1 : 0).Set("@cost", costNanos).Set("@lat", g.LatencyMs).Set("@fb", g.FirstByteMs)
            .Set("@byok", g.Byok ? 1 : 0).Set("@at", g.CreatedAt.ToUnixTimeMilliseconds()).Set("@att", g.AttemptsJson);
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }

    public async Task<IReadOnlyList<TransactionRecord>> ListTransactionsAsync(string accountId, long? beforeSeq, int limit, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, """
            SELECT seq, id, account_id, type, amount_nanos, balance_after_nanos, description, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok
            FROM transactions WHERE account_id = @a AND (@before IS NULL OR seq < @before) ORDER BY seq DESC LIMIT @n
            """).With("@a", accountId).With("@before", beforeSeq).With("@n", limit);
        await using var r = await select.ExecuteReaderAsync(ct);
        var list = new List<TransactionRecord>();
        while (await r.ReadAsync(ct))
        {
            list.Add(new TransactionRecord(
                r.GetInt64(0), r.GetString(1), r.GetString(2), Enum.Parse<TransactionType>(r.GetString(3), ignoreCase: true), r.GetInt64(4), r.GetInt64(5),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8),
                r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10),
                r.IsDBNull(11) ? null : r.GetInt32(11), r.IsDBNull(12) ? null : r.GetInt32(12), FromUnixMs(r.GetInt64(13))) { Byok = r.GetInt64(14) != 0 });
        }
        return list;
    }

    public async Task<GenerationRecord?> GetGenerationAsync(string accountId, string generationId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, """
            SELECT id, account_id, key_id, model, provider, upstream_model, endpoint, streamed, status, finish_reason, error_type,
                   prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, usage_counted, cost_nanos, latency_ms, first_byte_ms, byok, created_at, attempts
            FROM generations WHERE id = @id AND account_id = @a
            """).With("@id", generationId).With("@a", accountId);
        await using var r = await select.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new GenerationRecord
        {
            Id = r.GetString(0), AccountId = r.GetString(1), KeyId = r.GetString(2), Model = r.GetString(3), Provider = r.GetString(4),
            UpstreamModel = r.GetString(5), Endpoint = r.GetString(6), Streamed = r.GetInt64(7) != 0, Status = r.GetInt32(8),
            FinishReason = r.IsDBNull(9) ? null : r.GetString(9), ErrorType = r.IsDBNull(10) ? null : r.GetString(10),
            PromptTokens = r.GetInt32(11), CompletionTokens = r.GetInt32(12), CachedTokens = r.GetInt32(13), ReasoningTokens = r.GetInt32(14),
            UsageCounted = r.GetInt64(15) != 0, CostNanos = r.GetInt64(16), LatencyMs = r.GetInt64(17),
            FirstByteMs = r.IsDBNull(18) ? null : r.GetInt64(18), Byok = r.GetInt64(19) != 0, CreatedAt = FromUnixMs(r.GetInt64(20)), AttemptsJson = r.IsDBNull(21) ? null : r.GetString(21),
        };
    }
}
