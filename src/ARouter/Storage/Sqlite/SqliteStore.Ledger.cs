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
            var batch = statements.Batch;
            await using var tx = (SqliteTransaction)await statements.Connection.BeginTransactionAsync(ct);
            var results = new AppliedEntry[entries.Count];
            var now = Now();
            batch.Begin(now);
            for (var i = 0; i < entries.Count; i++)
            {
                results[i] = entries[i] switch
                {
                    ChargeEntry charge => batch.Charge(charge),
                    CreditEntry credit => await ApplyCreditAsync(statements, tx, credit, now, ct),
                    GenerationOnlyEntry only => new AppliedEntry(only, statements.InsertGeneration(only.Generation, 0), 0),
                    _ => throw new InvalidOperationException($"Unknown ledger entry {entries[i].GetType().Name}."),
                };
            }
            batch.Flush();
            await tx.CommitAsync(ct);
            return results;
        }
        catch
        {
            // Whatever went wrong, the retry gets a fresh connection, freshly prepared statements and empty running totals.
            _ledger?.Dispose();
            _ledger = null;
            throw;
        }
        finally
        {
            _ledgerGate.Release();
        }
    }

    /// <summary>Rare next to charges, so plain commands; the charges before it are written first, since it reads the balance in SQL.</summary>
    private static async Task<AppliedEntry> ApplyCreditAsync(SqliteLedgerStatements statements, DbTransaction tx, CreditEntry credit, long now, CancellationToken ct)
    {
        statements.Batch.Flush();
        var connection = statements.Connection;
        await using var update = Command(connection,
            "UPDATE accounts SET balance_nanos = balance_nanos + @amt, total_credits_nanos = total_credits_nanos + @amt WHERE id = @a RETURNING balance_nanos", tx);
        if (await update.With("@amt", credit.AmountNanos).With("@a", credit.AccountId).ExecuteScalarAsync(ct) is not long balanceAfter)
            return new AppliedEntry(credit, false, 0);
        await InsertCreditTransactionAsync(connection, tx, credit.AccountId, credit.AmountNanos, balanceAfter, credit.Description, credit.TransactionId, now, ct);
        return new AppliedEntry(credit, true, balanceAfter);
    }
}
