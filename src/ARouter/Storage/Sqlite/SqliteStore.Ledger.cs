using System.Data.Common;
using ARouter.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace ARouter.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public override async Task<IReadOnlyList<AppliedEntry>> ApplyBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct)
    {
        await _ledgerGate.WaitAsync(ct);
        try
        {
            _ledger ??= new SqliteLedgerStatements((SqliteConnection)await OpenAsync(ct));
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

    private static async Task<AppliedEntry> ApplyCreditAsync(DbConnection connection, DbTransaction tx, CreditEntry credit, long now, CancellationToken ct)
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
}
