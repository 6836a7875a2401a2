using Npgsql;
using NpgsqlTypes;

namespace ARouter.Storage.Postgres;

/// <summary>
/// The store for many gateway instances on one PostgreSQL database. Every instance's ledger writer
/// commits here, so the ledger's invariants are kept by the database, not by any one process: a
/// batch locks the rows of the accounts it touches (<c>SELECT … FOR UPDATE</c>, in id order so two
/// writers never deadlock), charges are capped at the locked balance, and a partial unique index
/// with <c>ON CONFLICT DO NOTHING</c> makes a repeated settle of a generation a no-op.
/// </summary>
public sealed partial class PostgresStore : IStore
{
    /// <summary>Any constant both old and new instances agree on: it names the migration lock.</summary>
    private const long MigrationLockKey = 0x4152_6f75_7465_72; // "ARouter"

    private readonly NpgsqlDataSource _dataSource;

    public PostgresStore(string connectionString)
    {
        _dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
    }

    public string Engine => "postgres";

    public async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        // Held until the migration transaction ends: a second instance starting at the same moment
        // waits here, then finds every migration applied.
        await Migrator.ApplyAsync(connection, "postgres", $"SELECT pg_advisory_xact_lock({MigrationLockKey})", ct);
    }

    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT count(*) FROM schema_migrations");
            return Convert.ToInt64(await command.ExecuteScalarAsync(ct)) > 0;
        }
        catch (NpgsqlException)
        {
            // Includes PostgresException: the server answered with an error (no schema yet).
            return false;
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private ValueTask<NpgsqlConnection> OpenAsync(CancellationToken ct) => _dataSource.OpenConnectionAsync(ct);

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static DateTimeOffset FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, NpgsqlTransaction? tx = null) => new(sql, connection, tx);
}

/// <summary>Parameters typed on the way in, so a null needs no guessing and PostgreSQL plans each statement once.</summary>
internal static class NpgsqlCommandExtensions
{
    public static NpgsqlCommand With(this NpgsqlCommand command, string name, string? value) => command.Typed(name, NpgsqlDbType.Text, value);
    public static NpgsqlCommand With(this NpgsqlCommand command, string name, long? value) => command.Typed(name, NpgsqlDbType.Bigint, value);
    public static NpgsqlCommand With(this NpgsqlCommand command, string name, int? value) => command.Typed(name, NpgsqlDbType.Integer, value);
    public static NpgsqlCommand With(this NpgsqlCommand command, string name, bool value) => command.Typed(name, NpgsqlDbType.Boolean, value);
    public static NpgsqlCommand With(this NpgsqlCommand command, string name, byte[] value) => command.Typed(name, NpgsqlDbType.Bytea, value);
    public static NpgsqlCommand With(this NpgsqlCommand command, string name, string[] value) => command.Typed(name, NpgsqlDbType.Array | NpgsqlDbType.Text, value);

    private static NpgsqlCommand Typed(this NpgsqlCommand command, string name, NpgsqlDbType type, object? value)
    {
        command.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });
        return command;
    }
}
