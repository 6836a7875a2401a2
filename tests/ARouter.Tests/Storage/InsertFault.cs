using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Storage;

/// <summary>
/// Makes the real database refuse to insert a generation record of one model (a trigger that raises), so a ledger
/// batch fails part-way through, after some of its statements have run. Removed when disposed.
/// </summary>
public sealed class InsertFault : IAsyncDisposable
{
    private readonly TestDatabase _database;
    private readonly string _table;
    private bool _removed;

    private InsertFault(TestDatabase database, string table)
    {
        _database = database;
        _table = table;
    }

    /// <summary>A charge is its generation record, so this refuses that model's charges and uncharged records alike.</summary>
    public static Task<InsertFault> ChargesAsync(TestDatabase database, string model) => InstallAsync(database, "generations", model);

    private static async Task<InsertFault> InstallAsync(TestDatabase database, string table, string model)
    {
        // The table and model names are the test's own constants, never user input.
        await ExecuteAsync(database, database.Engine == StoreEngine.Sqlite
            ? $"CREATE TRIGGER test_fault BEFORE INSERT ON {table} WHEN NEW.model = '{model}' BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            : $"""
              CREATE FUNCTION test_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$;
              CREATE TRIGGER test_fault BEFORE INSERT ON {table} FOR EACH ROW WHEN (NEW.model = '{model}') EXECUTE FUNCTION test_fault();
              """);
        return new InsertFault(database, table);
    }

    public async Task RemoveAsync()
    {
        if (_removed) return;
        _removed = true;
        await ExecuteAsync(_database, _database.Engine == StoreEngine.Sqlite
            ? "DROP TRIGGER test_fault"
            : $"DROP TRIGGER test_fault ON {_table}; DROP FUNCTION test_fault();");
    }

    public async ValueTask DisposeAsync() => await RemoveAsync();

    private static async Task ExecuteAsync(TestDatabase database, string sql)
    {
        await using var connection = await database.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
