using ARouter.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace ARouter.Tests.Storage;

/// <summary>Migrations that rebuild a table keep what a database of the earlier schema holds.</summary>
public sealed class SqliteMigrationTests
{
    [Fact]
    public async Task The_transactions_rebuild_keeps_every_row_and_its_seq()
    {
        await using var database = await TestDatabase.CreateAsync(StoreEngine.Sqlite);
        await using var connection = await OpenAsync(database);
        await MigrationSteps.ApplyAsync(connection, "sqlite", before: "005");
        await MigrationSteps.ExecuteAsync(connection, """
            INSERT INTO accounts (id, name, balance_nanos, total_credits_nanos, total_usage_nanos, created_at) VALUES ('acc_1', 'a', 700, 1000, 300, 1);
            INSERT INTO transactions (seq, id, account_id, type, amount_nanos, balance_after_nanos, description, created_at)
                VALUES (1, 'txn_credit', 'acc_1', 'credit', 1000, 1000, 'top-up', 10);
            INSERT INTO transactions (seq, id, account_id, type, amount_nanos, balance_after_nanos, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok)
                VALUES (2, 'txn_a', 'acc_1', 'charge', -100, 900, 'gen-a', 'key_1', 'openai/gpt-5.4-mini', 'openai', 10, 20, 20, 0);
            INSERT INTO transactions (seq, id, account_id, type, amount_nanos, balance_after_nanos, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok)
                VALUES (7, 'txn_b', 'acc_1', 'charge', -200, 700, 'gen-b', 'key_1', 'anthropic/claude-sonnet-4.6', 'anthropic', 30, 40, 30, 1);
            """);
        var before = await DumpTransactionsAsync(connection);

        await MigrationSteps.ApplyAsync(connection, "sqlite", before: "006");

        Assert.Equal(before, await DumpTransactionsAsync(connection));
        var table = (string)(await ScalarAsync(connection, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'transactions'"))!;
        Assert.DoesNotContain("AUTOINCREMENT", table, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0L, await ScalarAsync(connection, "SELECT count(*) FROM sqlite_master WHERE name = 'transactions_rebuilt'"));
        Assert.Equal("ix_transactions_account,ux_transactions_one_charge",
            await ScalarAsync(connection, "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_list('transactions') ORDER BY name)"));
    }

    private static async Task<string> DumpTransactionsAsync(SqliteConnection connection)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM transactions ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => $"{reader.GetName(i)}={reader.GetValue(i)}")));
        Assert.NotEmpty(rows);
        return string.Join('\n', rows);
    }

    private static async Task<SqliteConnection> OpenAsync(TestDatabase database)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder(database.ConnectionString) { Pooling = false, ForeignKeys = true }.ToString());
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
