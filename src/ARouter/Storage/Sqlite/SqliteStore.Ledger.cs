using Microsoft.Data.Sqlite;

namespace ARouter.Storage.Sqlite;

public sealed partial class SqliteStore
{
    public override async Task<IReadOnlyList<AppliedEntry>> ApplyBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct)
    {
        await _ledgerGate.WaitAsync(ct);
        try
        {
            _ledger ??= await OpenLedgerAsync(ct);
            var statements = _ledger;
            var batch = statements.Batch;
            var results = new AppliedEntry[entries.Count];
            var now = Now();
            statements.Begin();
            batch.Begin(now);
            for (var i = 0; i < entries.Count; i++)
            {
                results[i] = entries[i] switch
                {
                    ChargeEntry charge => batch.Charge(charge),
                    CreditEntry credit => ApplyCredit(statements, credit, now),
                    GenerationOnlyEntry only => new AppliedEntry(only, statements.InsertUncharged(only.Generation), 0),
                    _ => throw new InvalidOperationException($"Unknown ledger entry {entries[i].GetType().Name}."),
                };
            }
            batch.Flush();
            statements.Commit();
            _checkpointer?.Committed();
            return results;
        }
        catch
        {
            // Whatever went wrong, nothing of the batch stays, and the retry gets a fresh connection, freshly
            // prepared statements and empty running totals.
            _ledger?.TryRollback();
            _ledger?.Dispose();
            _ledger = null;
            throw;
        }
        finally
        {
            _ledgerGate.Release();
        }
    }

    /// <summary>The charges before it are written first, since the credit adds to the balance in SQL.</summary>
    private static AppliedEntry ApplyCredit(SqliteLedgerStatements statements, CreditEntry credit, long now)
    {
        statements.Batch.Flush();
        return statements.Credit(credit, now) is { } balanceAfter ? new AppliedEntry(credit, true, balanceAfter) : new AppliedEntry(credit, false, 0);
    }

    /// <summary>
    /// The writer's connection, outside the pool (see <see cref="SqliteLedgerStatements"/>), and in WAL mode the
    /// background checkpointer its commits wake (<see cref="SqliteCheckpointer"/> explains the checkpoint settings).
    /// </summary>
    private async Task<SqliteLedgerStatements> OpenLedgerAsync(CancellationToken ct)
    {
        var builder = new SqliteConnectionStringBuilder(_connectionString) { Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            await connection.OpenAsync(ct);
            await using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText =
                    $"PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint={SqliteCheckpointer.AutoCheckpointPages}; " +
                    $"PRAGMA journal_size_limit={SqliteCheckpointer.JournalSizeLimitBytes};";
                await pragma.ExecuteNonQueryAsync(ct);
                pragma.CommandText = "PRAGMA journal_mode;";
                if (await pragma.ExecuteScalarAsync(ct) is "wal") _checkpointer ??= new SqliteCheckpointer(builder.ToString(), _ledgerGate, () => _ledger?.StartLogOver());
            }
            return new SqliteLedgerStatements(connection, TimeSpan.FromSeconds(builder.DefaultTimeout));
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
