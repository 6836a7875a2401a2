using System.Data.Common;
using ARouter.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace ARouter.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Readers use pooled connections; the ledger
/// writer is the only frequent writer, so WAL's single-writer rule costs nothing.
/// </summary>
public sealed partial class SqliteStore : SqlStore
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _ledgerGate = new(1, 1);
    private SqliteLedgerStatements? _ledger;
    private SqliteCheckpointer? _checkpointer;

    public SqliteStore(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString)
        {
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        };
        if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource))
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        }
        _connectionString = builder.ToString();
    }

    public override string Engine => "sqlite";

    public override async Task MigrateAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using (var wal = connection.CreateCommand())
        {
            // WAL persists in the file; synchronous=NORMAL in WAL mode survives a process crash
            // (only an OS crash or power loss can lose the last commits).
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(ct);
        }
        // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default) takes the write lock: that is the migration lock.
        await Migrator.ApplyAsync(connection, "sqlite", lockStatement: null, ct);
    }

    /// <summary>
    /// Closes the ledger writer's connection and stops its checkpointer (pooled reader connections hold nothing); a
    /// later batch would open new ones.
    /// </summary>
    public override async ValueTask DisposeAsync()
    {
        await _ledgerGate.WaitAsync();
        try
        {
            _ledger?.Dispose();
            _ledger = null;
            if (_checkpointer is { } checkpointer) await checkpointer.DisposeAsync();
            _checkpointer = null;
        }
        finally
        {
            _ledgerGate.Release();
        }
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=NORMAL;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }
}
