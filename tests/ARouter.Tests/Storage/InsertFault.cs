using ARouter.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ARouter.Tests.Storage;

/// <summary>
/// Makes the real database refuse to record a generation of one model (a trigger that raises), so a ledger
/// batch fails part-way through, after some of its statements have run; removed when disposed.
/// </summary>
public sealed class GenerationInsertFault : IAsyncDisposable
{
    private readonly TestDatabase _database;
    private bool _removed;

    private GenerationInsertFault(TestDatabase database) => _database = database;

    public static async Task<GenerationInsertFault> InstallAsync(TestDatabase database, string model)
    {
        // The model name is the test's own constant, never user input.
        await ExecuteAsync(database, database.Engine == StoreEngine.Sqlite
            ? $"CREATE TRIGGER test_fault BEFORE INSERT ON generations WHEN NEW.model = '{model}' BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            : $"""
              CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$;
              CREATE TRIGGER test_fault BEFORE INSERT ON generations FOR EACH ROW WHEN (NEW.model = '{model}') EXECUTE FUNCTION test_fault();
              """);
        return new GenerationInsertFault(database);
    }

    public async Task RemoveAsync()
    {
        if (_removed) return;
        _removed = true;
        await ExecuteAsync(_database, _database.Engine == StoreEngine.Sqlite
            ? "DROP TRIGGER test_fault"
            : "DROP TRIGGER test_fault ON generations; DROP FUNCTION test_fault();");
    }

    public async ValueTask DisposeAsync() => await RemoveAsync();

    private static async Task ExecuteAsync(TestDatabase database, string sql)
    {
        if (database.Engine == StoreEngine.Sqlite)
        {
            await using var sqlite = new SqliteConnection(new SqliteConnectionStringBuilder(database.ConnectionString) { Pooling = false, DefaultTimeout = 30 }.ToString());
            await sqlite.OpenAsync();
            await using var command = sqlite.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
            return;
        }
        await using var postgres = new NpgsqlConnection(database.ConnectionString);
        await postgres.OpenAsync();
        await using var pgCommand = new NpgsqlCommand(sql, postgres);
        await pgCommand.ExecuteNonQueryAsync();
    }
}
