using ARouter.Storage;
using ARouter.Storage.Sqlite;
using ARouter.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace ARouter.Tests.Storage;

/// <summary>Migrations that rebuild a table keep what a database of the earlier schema holds.</summary>
public sealed class SqliteMigrationTests
{
    [Fact]
    public async Task The_transactions_rebuild_keeps_every_row_and_its_seq_and_later_charges_count_on_once_each()
    {
        await using var database = await TestDatabase.CreateAsync(StoreEngine.Sqlite);
        await using (var old = await OpenAsync(database))
        {
            await MigrateUpToAsync(old, "005");
            await ExecuteAsync(old, """
                INSERT INTO accounts (id, name, balance_nanos, total_credits_nanos, total_usage_nanos, created_at) VALUES ('acc_1', 'a', 700, 1000, 300, 1);
                INSERT INTO transactions (seq, id, account_id, type, amount_nanos, balance_after_nanos, description, created_at)
                    VALUES (1, 'txn_credit', 'acc_1', 'credit', 1000, 1000, 'top-up', 10);
                INSERT INTO transactions (seq, id, account_id, type, amount_nanos, balance_after_nanos, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok)
                    VALUES (2, 'txn_a', 'acc_1', 'charge', -100, 900, 'gen-a', 'key_1', 'openai/gpt-5.4-mini', 'openai', 10, 20, 20, 0);
                INSERT INTO transactions (seq, id, account_id, type, amount_nanos, balance_after_nanos, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok)
                    VALUES (7, 'txn_b', 'acc_1', 'charge', -200, 700, 'gen-b', 'key_1', 'anthropic/claude-sonnet-4.6', 'anthropic', 30, 40, 30, 1);
                """);
        }
        string before;
        await using (var old = await OpenAsync(database)) before = await DumpTransactionsAsync(old);

        await using var store = await database.OpenMigratedAsync();
        await using (var migrated = await OpenAsync(database))
        {
            Assert.Equal(before, await DumpTransactionsAsync(migrated));
            var table = (string)(await ScalarAsync(migrated, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'transactions'"))!;
            Assert.DoesNotContain("AUTOINCREMENT", table, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(0L, await ScalarAsync(migrated, "SELECT count(*) FROM sqlite_master WHERE name = 'transactions_rebuilt'"));
            Assert.Equal("ix_transactions_account,ux_transactions_one_charge",
                await ScalarAsync(migrated, "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_list('transactions') ORDER BY name)"));
        }

        var generation = new GenerationRecord
        {
            Id = "gen-c", AccountId = "acc_1", KeyId = "key_1", Model = "openai/gpt-5.4-mini", Provider = "openai",
            UpstreamModel = "gpt-5.4-mini", Endpoint = "chat", CreatedAt = DateTimeOffset.UtcNow,
        };
        var first = Assert.Single(await store.ApplyBatchAsync([new ChargeEntry("acc_1", 50, Ids.NewTransactionId(), generation)], default));
        var again = Assert.Single(await store.ApplyBatchAsync([new ChargeEntry("acc_1", 50, Ids.NewTransactionId(), generation)], default));
        Assert.Equal((true, 650L), (first.Applied, first.BalanceAfterNanos));
        Assert.False(again.Applied);

        var listed = await store.ListTransactionsAsync("acc_1", null, 10, default);
        Assert.Equal([8L, 7L, 2L, 1L], listed.Select(t => t.Seq));
        Assert.Equal(("gen-c", -50L), (listed[0].GenerationId, listed[0].AmountNanos));
        Assert.Equal(650, await store.GetBalanceAsync("acc_1", default));
    }

    /// <summary>The embedded SQLite migrations before <paramref name="version"/>, recorded as the migrator records them.</summary>
    private static async Task MigrateUpToAsync(SqliteConnection connection, string version)
    {
        await ExecuteAsync(connection, "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)");
        var assembly = typeof(SqliteStore).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("migrations/sqlite/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var applied = Path.GetFileNameWithoutExtension(name);
            if (string.CompareOrdinal(applied, version) >= 0) continue;
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            await ExecuteAsync(connection, await reader.ReadToEndAsync());
            await ExecuteAsync(connection, $"INSERT INTO schema_migrations (version, applied_at) VALUES ('{applied}', 0)");
        }
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

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
