using System.Data.Common;
using ARouter.Storage.Sql;
using Npgsql;

namespace ARouter.Storage.Postgres;

/// <summary>
/// The store for many gateway instances on one PostgreSQL database. Every instance's ledger writer
/// commits here, so the ledger's invariants are kept by the database, not by any one process: a
/// batch locks the rows of the accounts it touches (<c>SELECT … FOR NO KEY UPDATE</c>, in id order so two
/// writers never deadlock), charges are capped at the locked balance, and a partial unique index
/// with <c>ON CONFLICT DO NOTHING</c> makes a repeated settle of a generation a no-op.
/// </summary>
public sealed partial class PostgresStore : SqlStore
{
    /// <summary>Any constant both old and new instances agree on: it names the migration lock.</summary>
    private const long MigrationLockKey = 0x4152_6f75_7465_72; // "ARouter"

    private readonly NpgsqlDataSource _dataSource;

    public PostgresStore(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // The ledger's statements are the same few thousands of times a minute: let Npgsql prepare them
        // (server-side plans, parsed once per connection) unless the operator chose otherwise.
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0) builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        _dataSource = builder.Build();
    }

    public override string Engine => "postgres";

    public override async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        // Held until the migration transaction ends: a second instance starting at the same moment
        // waits here, then finds every migration applied.
        await Migrator.ApplyAsync(connection, "postgres", $"SELECT pg_advisory_xact_lock({MigrationLockKey})", ct);
    }

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct);
}
