using System.Buffers.Binary;
using ARouter.Auth;
using ARouter.Storage;
using ARouter.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace ARouter.Tests.Storage;

/// <summary>
/// The write-ahead log of the SQLite store: checkpointed in the background while the writer is between batches,
/// bounded while it keeps committing, and closed with the store.
/// </summary>
public sealed class SqliteCheckpointTests
{
    [Fact]
    public async Task The_write_ahead_log_stays_bounded_under_thousands_of_back_to_back_commits_with_concurrent_readers()
    {
        await using var database = await TestDatabase.CreateAsync(StoreEngine.Sqlite);
        await using var store = await database.OpenMigratedAsync();
        var (account, key) = await CreateAccountAsync(store, 10_000_000);
        var wal = database.SqlitePath! + "-wal";

        // One charge per commit, as at one request in flight: ~15–20 frames each, so ~200 MB of log if it never
        // restarted. Readers keep taking snapshots, as the dashboard and key look-ups do, which is what can hold a restart off.
        const int commits = 3_000;
        using var done = new CancellationTokenSource();
        using var reading = new CountdownEvent(2);
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            long last = long.MaxValue, reads = 0;
            while (reads == 0 || !done.IsCancellationRequested)
            {
                var balance = (await store.GetBalanceAsync(account, default))!.Value;
                Assert.True(balance <= last, "a reader saw the balance go up");
                last = balance;
                if (reads++ == 0) reading.Signal();
            }
            return reads;
        })).ToArray();
        Assert.True(reading.Wait(TimeSpan.FromSeconds(60)));
        long largest = 0;
        for (var i = 0; i < commits; i++)
        {
            var applied = Assert.Single(await store.ApplyBatchAsync([Charge(account, key, 1)], default));
            Assert.True(applied.Applied);
            largest = Math.Max(largest, new FileInfo(wal).Length);
        }
        await done.CancelAsync();
        await Task.WhenAll(readers);

        Assert.Equal(10_000_000 - commits, await store.GetBalanceAsync(account, default));
        // Normally the writer's automatic checkpoint at 1,000 pages (~4 MB) restarts the log; when busy readers hold
        // that off, the background RESTART at 2,000 pages (~8 MB) does. Without either the log passes 100 MB.
        Assert.True(largest < 20 << 20, $"the WAL reached {largest >> 10} KiB");
    }

    [Fact]
    public async Task After_a_pause_the_log_is_copied_and_started_over_in_the_background_so_the_next_commit_only_appends()
    {
        await using var database = await TestDatabase.CreateAsync(StoreEngine.Sqlite);
        await using var store = await database.OpenMigratedAsync();
        var (account, key) = await CreateAccountAsync(store, 1_000_000);

        // ~400 frames: well below the writer's own automatic checkpoint, so only the background one can copy them.
        for (var i = 0; i < 30; i++) await store.ApplyBatchAsync([Charge(account, key, 1)], default);
        var written = WalIndex.Read(database.SqlitePath!);
        Assert.True(written.Frames > 30, $"{written.Frames} frames");

        // Copied, then started over (new salts) by one page written between batches, not by the next settle's commit.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var index = written;
        // SQLite writes the new salts into the wal-index (with no frames) when the write starts over, and the page's frame at its commit: wait for both.
        while ((index.Salts == written.Salts || index.Frames == 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            index = WalIndex.Read(database.SqlitePath!);
        }
        Assert.NotEqual(written.Salts, index.Salts);
        Assert.InRange(index.Frames, 1u, 2u);

        // The next commit appends to the new log (same salts): it neither rewrites nor syncs the log's header.
        Assert.True(Assert.Single(await store.ApplyBatchAsync([Charge(account, key, 1)], default)).Applied);
        var after = WalIndex.Read(database.SqlitePath!);
        Assert.Equal(index.Salts, after.Salts);
        Assert.True(after.Frames > index.Frames, $"{after.Frames} frames after {index.Frames}");
        Assert.Equal(1_000_000 - 31, await store.GetBalanceAsync(account, default));
    }

    [Fact]
    public async Task Disposing_the_store_stops_the_background_checkpoint_and_closes_its_connection()
    {
        await using var database = await TestDatabase.CreateAsync(StoreEngine.Sqlite);
        var store = await database.OpenMigratedAsync();
        var (account, key) = await CreateAccountAsync(store, 1_000_000);
        for (var i = 0; i < 200; i++) await store.ApplyBatchAsync([Charge(account, key, 1)], default);

        await store.DisposeAsync(); // checkpoints are still being woken by the last commits

        // SQLite deletes the log when its last connection closes: none is left open, the checkpointer's included.
        using (var pooled = new SqliteConnection(new SqliteConnectionStringBuilder(database.ConnectionString)
               { Pooling = true, ForeignKeys = true, DefaultTimeout = 30 }.ToString()))
            SqliteConnection.ClearPool(pooled);
        Assert.False(File.Exists(database.SqlitePath! + "-wal"), "a connection still holds the database open");

        await using var reopened = database.OpenStore();
        Assert.Equal(1_000_000 - 200, await reopened.GetBalanceAsync(account, default));
    }

    private static async Task<(string Account, string Key)> CreateAccountAsync(IStore store, long balanceNanos)
    {
        var (_, key) = ApiKeyFormat.Create(Ids.NewAccountId(), "k", management: true);
        var account = await store.CreateAccountAsync("t", balanceNanos, key, default);
        return (account.Id, key.Id);
    }

    private static ChargeEntry Charge(string account, string key, long nanos) => new(account, nanos, Ids.NewTransactionId(), new GenerationRecord
    {
        Id = Ids.NewGenerationId(), AccountId = account, KeyId = key, Model = "deepseek/deepseek-chat", Provider = "deepseek",
        UpstreamModel = "deepseek-chat", Endpoint = "chat", CreatedAt = DateTimeOffset.UtcNow,
    });

    /// <summary>
    /// The head of SQLite's wal-index (the <c>-shm</c> file, see the WAL-index format in SQLite's file-format
    /// document): the header's frame count and salts, and how many frames have been copied into the database.
    /// </summary>
    private readonly record struct WalIndex(uint Frames, uint Backfilled, ulong Salts)
    {
        public static WalIndex Read(string databasePath)
        {
            using var shm = new FileStream(databasePath + "-shm", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var head = new byte[100];
            shm.ReadExactly(head);
            return new WalIndex(
                BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(16)), // WalIndexHdr.mxFrame
                BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(96)), // WalCkptInfo.nBackfill, after the header's two copies
                BinaryPrimitives.ReadUInt64LittleEndian(head.AsSpan(32))); // WalIndexHdr.aSalt
        }
    }
}
