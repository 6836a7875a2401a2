using Microsoft.Data.Sqlite;

namespace ARouter.Storage.Sqlite;

/// <summary>
/// The ledger writer's own connection and its statements, prepared once and re-bound per entry: a settle
/// runs four statements, and parsing and planning them afresh for every batch cost more CPU than executing
/// them. Used by one batch at a time (<see cref="SqliteStore.ApplyBatchAsync"/> serialises); a failed batch
/// throws the whole thing away so the retry starts on a fresh connection.
/// </summary>
internal sealed class SqliteLedgerStatements : IDisposable
{
    public SqliteConnection Connection { get; }
    public SqliteCommand Charge { get; }
    public SqliteCommand AccountUsage { get; }
    public SqliteCommand KeyUsage { get; }
    public SqliteCommand Generation { get; }
    private readonly SqliteCommand[] _all;

    public SqliteLedgerStatements(SqliteConnection connection)
    {
        Connection = connection;
        // The charge is capped at the balance so the balance can never go below zero; the unique index
        // on (generation_id) for charges makes a repeated settle a no-op.
        Charge = Prepare("""
            INSERT OR IGNORE INTO transactions (id, account_id, type, amount_nanos, balance_after_nanos, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok)
            SELECT @id, @a, 'charge', -MIN(@amt, balance_nanos), balance_nanos - MIN(@amt, balance_nanos), @g, @k, @m, @p, @pt, @ctk, @now, @byok FROM accounts WHERE id = @a
            RETURNING -amount_nanos, balance_after_nanos
            """, "@id", "@a", "@amt", "@g", "@k", "@m", "@p", "@pt", "@ctk", "@now", "@byok");
        AccountUsage = Prepare("UPDATE accounts SET balance_nanos = @after, total_usage_nanos = total_usage_nanos + @c WHERE id = @a", "@after", "@c", "@a");
        KeyUsage = Prepare("UPDATE api_keys SET usage_nanos = usage_nanos + @c, last_used_at = @now WHERE id = @k", "@c", "@now", "@k");
        Generation = Prepare("""
            INSERT OR IGNORE INTO generations (id, account_id, key_id, model, provider, upstream_model, endpoint, streamed, status, finish_reason, error_type,
                prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, usage_counted, cost_nanos, latency_ms, first_byte_ms, byok, created_at, attempts)
            VALUES (@id, @a, @k, @m, @p, @um, @e, @s, @st, @f, @err, @pt, @ctk, @cch, @rt, @uc, @cost, @lat, @fb, @byok, @at, @att)
            """, "@id", "@a", "@k", "@m", "@p", "@um", "@e", "@s", "@st", "@f", "@err", "@pt", "@ctk", "@cch", "@rt", "@uc", "@cost", "@lat", "@fb", "@byok", "@at", "@att");
        _all = [Charge, AccountUsage, KeyUsage, Generation];
    }

    /// <summary>Points every statement at this batch's transaction.</summary>
    public void Enlist(SqliteTransaction tx)
    {
        foreach (var command in _all) command.Transaction = tx;
    }

    private SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters) command.Parameters.Add(new SqliteParameter { ParameterName = name, Value = DBNull.Value });
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _all) command.Dispose();
        Connection.Dispose();
    }
}

internal static class SqliteParameterBinding
{
    /// <summary>Sets a prepared statement's parameter for the next execution.</summary>
    public static SqliteCommand Set(this SqliteCommand command, string name, object? value)
    {
        command.Parameters[name].Value = value ?? DBNull.Value;
        return command;
    }
}
