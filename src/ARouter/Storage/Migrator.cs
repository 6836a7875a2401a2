using System.Data.Common;

namespace ARouter.Storage;

/// <summary>
/// Applies the embedded SQL migrations of one dialect in order, each once, recorded in
/// <c>schema_migrations</c>. Safe to run at every start, and from several processes at once: all
/// pending migrations run in one transaction that first takes the engine's migration lock
/// (<paramref name="lockStatement"/>; SQLite's write lock is taken by BEGIN IMMEDIATE), so a second
/// process waits, then finds them applied.
/// </summary>
public static class Migrator
{
    /// <param name="before">Only the versions before this one (tests that build a database of an earlier schema); null: all.</param>
    public static async Task ApplyAsync(DbConnection connection, string dialect, string? lockStatement, CancellationToken ct, string? before = null)
    {
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (lockStatement is not null) await ExecuteAsync(connection, tx, lockStatement, ct);
        await ExecuteAsync(connection, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)", ct);
        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using (var list = connection.CreateCommand())
        {
            list.Transaction = tx;
            list.CommandText = "SELECT version FROM schema_migrations";
            await using var reader = await list.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) applied.Add(reader.GetString(0));
        }

        var assembly = typeof(Migrator).Assembly;
        var prefix = $"migrations/{dialect}/";
        foreach (var name in assembly.GetManifestResourceNames().Select(n => n.Replace('\\', '/')).Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var version = Path.GetFileNameWithoutExtension(name);
            if (applied.Contains(version) || (before is not null && string.CompareOrdinal(version, before) >= 0)) continue;
            using var stream = assembly.GetManifestResourceStream(name)!;
            var sql = await new StreamReader(stream).ReadToEndAsync(ct);
            await ExecuteAsync(connection, tx, sql, ct);
            await using var record = connection.CreateCommand();
            record.Transaction = tx;
            record.CommandText = "INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @t)";
            AddParameter(record, "@v", version);
            AddParameter(record, "@t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await record.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
