using ARouter.Auth;
using ARouter.Storage;
using ARouter.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace ARouter.Tests.Storage;

/// <summary>SQLite has one writer at a time; the ledger's batch waits its turn behind another process's write.</summary>
public sealed class SqliteLedgerLockTests
{
    [Fact]
    public async Task A_ledger_batch_waits_for_another_process_holding_the_write_lock_and_then_commits()
    {
        await using var database = await TestDatabase.CreateAsync(StoreEngine.Sqlite);
        await using var store = await database.OpenMigratedAsync();
        var (_, key) = ApiKeyFormat.Create(Ids.NewAccountId(), "k", management: true);
        var account = await store.CreateAccountAsync("t", 1_000, key, default);
        var generation = new GenerationRecord
        {
            Id = Ids.NewGenerationId(), AccountId = account.Id, KeyId = key.Id, Model = "deepseek/deepseek-chat", Provider = "deepseek",
            UpstreamModel = "deepseek-chat", Endpoint = "chat", CreatedAt = DateTimeOffset.UtcNow,
        };
        // The first batch opens the writer's connection; the second has to wait for the CLI's transaction.
        await store.ApplyBatchAsync([new CreditEntry(account.Id, 1, Ids.NewTransactionId(), null)], default);

        await using var cli = new SqliteConnection(new SqliteConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ToString());
        await cli.OpenAsync();
        await using var holding = await cli.BeginTransactionAsync(); // BEGIN IMMEDIATE: the write lock
        var batch = Task.Run(() => store.ApplyBatchAsync([new ChargeEntry(account.Id, 300, Ids.NewTransactionId(), generation)], default));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(batch.IsCompleted);
        await holding.CommitAsync();

        var applied = Assert.Single(await batch.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal((true, 701L), (applied.Applied, applied.BalanceAfterNanos));
        Assert.Equal(701, await store.GetBalanceAsync(account.Id, default));
    }
}
