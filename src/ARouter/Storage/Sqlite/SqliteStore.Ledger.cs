using System.Data.Common;
using ARouter.Storage.Sql;

namespace ARouter.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public override async Task<IReadOnlyList<AppliedEntry>> ApplyBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var results = new AppliedEntry[entries.Count];
        var now = Now();
        for (var i = 0; i < entries.Count; i++)
        {
            results[i] = entries[i] switch
            {
                ChargeEntry charge => await ApplyChargeAsync(connection, tx, charge, now, ct),
                CreditEntry credit => await ApplyCreditAsync(connection, tx, credit, now, ct),
                GenerationOnlyEntry only => new AppliedEntry(only, await InsertGenerationAsync(connection, tx, only.Generation, 0, ct), 0),
                _ => throw new InvalidOperationException($"Unknown ledger entry {entries[i].GetType().Name}."),
            };
        }
        await tx.CommitAsync(ct);
        return results;
    }

    private static async Task<AppliedEntry> ApplyChargeAsync(DbConnection connection, DbTransaction tx, ChargeEntry charge, long now, CancellationToken ct)
    {
        var g = charge.Generation;
        // The charge is capped at the balance so the balance can never go below zero; the unique index
        // on (generation_id) for charges makes a repeated settle a no-op.
        await using var insert = Command(connection, """
            INSERT OR IGNORE INTO transactions (id, account_id, type, amount_nanos, balance_after_nanos, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok)
            SELECT @id, @a, 'charge', -MIN(@amt, balance_nanos), balance_nanos - MIN(@amt, balance_nanos), @g, @k, @m, @p, @pt, @ctk, @now, @byok FROM accounts WHERE id = @a
            RETURNING -amount_nanos, balance_after_nanos
            """, tx);
        insert.With("@id", charge.TransactionId).With("@a", charge.AccountId).With("@amt", charge.AmountNanos).With("@g", g.Id)
            .With("@k", g.KeyId).With("@m", g.Model).With("@p", g.Provider).With("@pt", g.PromptTokens).With("@ctk", g.CompletionTokens).With("@now", now).With("@byok", g.Byok ? 1 : 0);
        long charged, balanceAfter;
        await using (var reader = await insert.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return new AppliedEntry(charge, false, 0);
            charged = reader.GetInt64(0);
            balanceAfter = reader.GetInt64(1);
        }
        await using (var account = Command(connection,
            "UPDATE accounts SET balance_nanos = @after, total_usage_nanos = total_usage_nanos + @c WHERE id = @a", tx))
        {
            await account.With("@after", balanceAfter).With("@c", charged).With("@a", charge.AccountId).ExecuteNonQueryAsync(ct);
        }
        await using (var key = Command(connection,
            "UPDATE api_keys SET usage_nanos = usage_nanos + @c, last_used_at = @now WHERE id = @k", tx))
        {
            await key.With("@c", charged).With("@now", now).With("@k", g.KeyId).ExecuteNonQueryAsync(ct);
        }
        await InsertGenerationAsync(connection, tx, g, charged, ct);
        return new AppliedEntry(charge with { AmountNanos = charged }, true, balanceAfter);
    }

    private static async Task<AppliedEntry> ApplyCreditAsync(DbConnection connection, DbTransaction tx, CreditEntry credit, long now, CancellationToken ct)
    {
        await using var update = Command(connection,
            "UPDATE accounts SET balance_nanos = balance_nanos + @amt, total_credits_nanos = total_credits_nanos + @amt WHERE id = @a RETURNING balance_nanos", tx);
        if (await update.With("@amt", credit.AmountNanos).With("@a", credit.AccountId).ExecuteScalarAsync(ct) is not long balanceAfter)
            return new AppliedEntry(credit, false, 0);
        await InsertCreditTransactionAsync(connection, tx, credit.AccountId, credit.AmountNanos, balanceAfter, credit.Description, credit.TransactionId, now, ct);
        return new AppliedEntry(credit, true, balanceAfter);
    }

    private static async Task<bool> InsertGenerationAsync(DbConnection connection, DbTransaction tx, GenerationRecord g, long costNanos, CancellationToken ct)
    {
        await using var insert = Command(connection, $"""
            INSERT OR IGNORE INTO generations ({GenerationColumns})
            VALUES (@id, @a, @k, @m, @p, @um, @e, @s, @st, @f, @err, @pt, @ctk, @cch, @rt, @uc, @cost, @lat, @fb, @byok, @at, @att)
            """, tx);
        insert.With("@id", g.Id).With("@a", g.AccountId).With("@k", g.KeyId).With("@m", g.Model).With("@p", g.Provider).With("@um", g.UpstreamModel)
            .With("@e", g.Endpoint).With("@s", g.Streamed ? 1 : 0).With("@st", g.Status).With("@f", g.FinishReason).With("@err", g.ErrorType)
            .With("@pt", g.PromptTokens).With("@ctk", g.CompletionTokens).With("@cch", g.CachedTokens).With("@rt", g.ReasoningTokens)
            .With("@uc", g.UsageCounted ? 1 : 0).With("@cost", costNanos).With("@lat", g.LatencyMs).With("@fb", g.FirstByteMs)
            .With("@byok", g.Byok ? 1 : 0).With("@at", g.CreatedAt.ToUnixTimeMilliseconds()).With("@att", g.AttemptsJson);
        return await insert.ExecuteNonQueryAsync(ct) == 1;
    }
}
