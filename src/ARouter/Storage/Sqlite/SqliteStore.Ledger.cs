using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace ARouter.Storage.Sqlite;

public sealed partial class SqliteStore
{
    /// <summary>
    /// Generation records of committed charges, left out of the charge's own commit: each is four B-trees (the table, its
    /// key and two indexes) of the nine a settle touches, so that commit, which every settle waits for, writes five
    /// pages instead of nine. They are written by an empty batch, which the ledger writer runs once its queue has been empty for
    /// a moment (after the answers have gone out), or with the batch that finds <see cref="FoldUnwrittenAt"/> of them
    /// gathered, when the writer is never idle; many records in one commit share their pages. Until then
    /// <see cref="GetGenerationAsync"/> answers them from here, and the dashboard's lists write them first. A crash in
    /// between loses only these records: the charges and their transaction rows (model, provider, tokens) are
    /// committed. Guarded by the ledger gate.
    /// </summary>
    private readonly List<GenerationRecord> _unwritten = [];
    private readonly ConcurrentDictionary<string, GenerationRecord> _unwrittenById = new(StringComparer.Ordinal);

    internal const int FoldUnwrittenAt = 64;

    public override bool HasDeferredWrites => !_unwrittenById.IsEmpty;

    public override Task<GenerationRecord?> GetGenerationAsync(string accountId, string generationId, CancellationToken ct) =>
        _unwrittenById.TryGetValue(generationId, out var unwritten) && unwritten.AccountId == accountId
            ? Task.FromResult<GenerationRecord?>(unwritten)
            : base.GetGenerationAsync(accountId, generationId, ct);

    protected override async Task WriteDeferredAsync(CancellationToken ct)
    {
        if (HasDeferredWrites) await ApplyBatchAsync([], ct);
    }

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
            var written = entries.Count == 0 || _unwritten.Count >= FoldUnwrittenAt ? _unwritten.Count : 0;
            for (var i = 0; i < written; i++) statements.InsertGeneration(_unwritten[i], _unwritten[i].CostNanos);
            for (var i = 0; i < entries.Count; i++)
            {
                results[i] = entries[i] switch
                {
                    ChargeEntry charge => batch.Charge(charge),
                    CreditEntry credit => ApplyCredit(statements, credit, now),
                    GenerationOnlyEntry only => new AppliedEntry(only, statements.InsertGeneration(only.Generation, 0), 0),
                    _ => throw new InvalidOperationException($"Unknown ledger entry {entries[i].GetType().Name}."),
                };
            }
            batch.Flush();
            statements.Commit();
            _checkpointer?.Committed();
            Written(written);
            foreach (var applied in results)
                if (applied is { Applied: true, Entry: ChargeEntry charge }) Unwritten(charge.Generation, charge.AmountNanos);
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

    private void Unwritten(GenerationRecord charged, long costNanos)
    {
        // As the table will hold it: its cost, and its time to the millisecond.
        var generation = charged with { CostNanos = costNanos, CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(charged.CreatedAt.ToUnixTimeMilliseconds()) };
        _unwritten.Add(generation);
        _unwrittenById[generation.Id] = generation;
    }

    private void Written(int count)
    {
        for (var i = 0; i < count; i++) _unwrittenById.TryRemove(_unwritten[i].Id, out _);
        _unwritten.RemoveRange(0, count);
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
