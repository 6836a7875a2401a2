using ARouter.Storage.Sql;
using Npgsql;
using NpgsqlTypes;

namespace ARouter.Storage.Postgres;

public sealed partial class PostgresStore
{
    private const string GenerationValues = "@gid, @ga, @k, @m, @p, @um, @e, @s, @st, @f, @err, @pt, @ctk, @cch, @rt, @uc, {0}, @lat, @fb, @byok, @at, @att";

    /// <summary>
    /// One charge in one statement: its generation record, with the amount computed from the locked balance (capped so
    /// it cannot go below zero) and the balance it leaves, skipped when the generation is already recorded; the
    /// balance and the key's usage follow only from a row that was inserted.
    /// </summary>
    private static readonly string ChargeSql = $"""
        WITH charged AS (
            INSERT INTO generations ({GenerationColumns}, transaction_id, balance_after_nanos)
            SELECT {string.Format(GenerationValues, "LEAST(@amt, balance_nanos)")}, @id, balance_nanos - LEAST(@amt, balance_nanos) FROM accounts WHERE id = @a
            ON CONFLICT (id) DO NOTHING
            RETURNING cost_nanos AS cost, balance_after_nanos AS after
        ), account_update AS (
            UPDATE accounts SET balance_nanos = charged.after, total_usage_nanos = total_usage_nanos + charged.cost FROM charged WHERE accounts.id = @a
        ), key_update AS (
            UPDATE api_keys SET usage_nanos = usage_nanos + charged.cost, last_used_at = @now FROM charged WHERE api_keys.id = @k
        )
        SELECT cost, after FROM charged
        """;

    private static readonly string GenerationOnlySql = $"""
        INSERT INTO generations ({GenerationColumns}) VALUES ({string.Format(GenerationValues, "0")}) ON CONFLICT (id) DO NOTHING RETURNING 1
        """;

    private const string CreditSql = """
        WITH credited AS (
            UPDATE accounts SET balance_nanos = balance_nanos + @amt, total_credits_nanos = total_credits_nanos + @amt WHERE id = @a RETURNING balance_nanos
        ), credit_insert AS (
            INSERT INTO transactions (id, account_id, type, amount_nanos, balance_after_nanos, description, created_at)
            SELECT @id, @a, 'credit', @amt, balance_nanos, @d, @now FROM credited
        )
        SELECT balance_nanos FROM credited
        """;

    /// <summary>
    /// Row-locks every account the batch touches, in one fixed order, before anything is written: another
    /// instance's writer touching the same accounts waits for this commit (and then reads the balance it
    /// left), and two writers can never hold each other's locks.
    /// </summary>
    private const string LockAccountsSql = "SELECT id FROM accounts WHERE id = ANY(@ids) ORDER BY id FOR NO KEY UPDATE";

    /// <summary>
    /// The lock and every entry go to the server as one batch (one round trip, statements run in order,
    /// each seeing the ones before), then one commit: the requests waiting on this batch wait for two round trips, not one per entry.
    /// </summary>
    public override async Task<IReadOnlyList<AppliedEntry>> ApplyBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct)
    {
        var now = Now();
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(connection, tx);
        var accountIds = entries.Select(e => e.AccountId).Distinct(StringComparer.Ordinal).ToArray();
        batch.BatchCommands.Add(new NpgsqlBatchCommand(LockAccountsSql) { Parameters = { new NpgsqlParameter("@ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = accountIds } } });
        foreach (var entry in entries)
        {
            batch.BatchCommands.Add(ToBatch(entry switch
            {
                ChargeEntry charge => ChargeCommand(charge, now),
                CreditEntry credit => new NpgsqlCommand(CreditSql).With("@a", credit.AccountId).With("@amt", credit.AmountNanos)
                    .With("@id", credit.TransactionId).With("@d", credit.Description).With("@now", now),
                GenerationOnlyEntry only => AddGeneration(new NpgsqlCommand(GenerationOnlySql), only.Generation),
                _ => throw new InvalidOperationException($"Unknown ledger entry {entry.GetType().Name}."),
            }));
        }

        var results = new AppliedEntry[entries.Count];
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            for (var i = 0; i < entries.Count; i++)
            {
                await reader.NextResultAsync(ct);
                var row = await reader.ReadAsync(ct);
                results[i] = entries[i] switch
                {
                    ChargeEntry charge when row => new AppliedEntry(charge with { AmountNanos = reader.GetInt64(0) }, true, reader.GetInt64(1)),
                    CreditEntry credit when row => new AppliedEntry(credit, true, reader.GetInt64(0)),
                    var other => new AppliedEntry(other, row, 0),
                };
            }
        }
        await tx.CommitAsync(ct);
        return results;
    }

    private static NpgsqlCommand ChargeCommand(ChargeEntry charge, long now) =>
        AddGeneration(new NpgsqlCommand(ChargeSql).With("@id", charge.TransactionId).With("@a", charge.AccountId).With("@amt", charge.AmountNanos).With("@now", now), charge.Generation);

    /// <summary>Moves a command built with the typed <c>With</c> helpers into a batch.</summary>
    private static NpgsqlBatchCommand ToBatch(NpgsqlCommand command)
    {
        var batched = new NpgsqlBatchCommand(command.CommandText);
        var parameters = command.Parameters.ToArray();
        command.Parameters.Clear();
        batched.Parameters.AddRange(parameters);
        command.Dispose();
        return batched;
    }

    private static NpgsqlCommand AddGeneration(NpgsqlCommand command, GenerationRecord g) =>
        command.With("@gid", g.Id).With("@ga", g.AccountId).With("@k", g.KeyId).With("@m", g.Model).With("@p", g.Provider).With("@um", g.UpstreamModel)
            .With("@e", g.Endpoint).With("@s", g.Streamed).With("@st", g.Status).With("@f", g.FinishReason).With("@err", g.ErrorType)
            .With("@pt", g.PromptTokens).With("@ctk", g.CompletionTokens).With("@cch", g.CachedTokens).With("@rt", g.ReasoningTokens)
            .With("@uc", g.UsageCounted).With("@lat", g.LatencyMs).With("@fb", g.FirstByteMs)
            .With("@byok", g.Byok).With("@at", g.CreatedAt.ToUnixTimeMilliseconds()).With("@att", g.AttemptsJson);
}
