using ARouter.Auth;
using ARouter.Billing;
using ARouter.Storage;
using ARouter.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace ARouter.Tests.Billing;

/// <summary>Which thread the writer commits on, over a real SQLite database (whose calls complete synchronously).</summary>
public sealed class LedgerWriterTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private IStore _store = null!;
    private string _account = null!, _key = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(StoreEngine.Sqlite);
        _store = await _database.OpenMigratedAsync();
        _account = Ids.NewAccountId();
        var (_, key) = ApiKeyFormat.Create(_account, "k", management: true);
        await _store.CreateAccountAsync("t", 1_000_000, key, default);
        _key = key.Id;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _database.DisposeAsync();
    }

    private ChargeEntry Charge(long nanos) => new(_account, nanos, Ids.NewTransactionId(), new GenerationRecord
    {
        Id = Ids.NewGenerationId(), AccountId = _account, KeyId = _key, Model = "deepseek/deepseek-chat", Provider = "deepseek",
        UpstreamModel = "deepseek-chat", Endpoint = "test", PromptTokens = 1, CompletionTokens = 1, CreatedAt = DateTimeOffset.UtcNow,
    });

    [Fact]
    public async Task A_settle_that_finds_the_writer_waiting_is_committed_before_the_call_returns()
    {
        var writer = new LedgerWriter(_store, NullLogger<LedgerWriter>.Instance);
        await writer.StartAsync(default);
        try
        {
            for (var i = 1; i <= 5; i++)
            {
                // Waiting with the last charge's generation record written, so no deferred commit is about to start.
                await Poll.UntilAsync(() => writer.IsWaitingForEntries && !_store.HasDeferredWrites);

                var write = writer.WriteAsync(Charge(100));

                // No pool thread was woken for it: the commit ran on this thread, inside the call.
                Assert.True(write.IsCompletedSuccessfully);
                Assert.Equal(1_000_000 - 100 * i, (await write).BalanceAfterNanos);
            }
        }
        finally
        {
            await writer.StopAsync(default);
        }
        Assert.Equal(1_000_000 - 500, await _store.GetBalanceAsync(_account, default));
    }

    [Fact]
    public async Task A_caller_whose_write_ran_the_writer_is_not_held_for_what_queued_behind_it()
    {
        var gated = new GatedLedgerStore(_store);
        var writer = new LedgerWriter(gated, NullLogger<LedgerWriter>.Instance);
        await writer.StartAsync(default);
        try
        {
            await Poll.UntilAsync(() => writer.IsWaitingForEntries);
            // The outer task ends when the call returns, the inner one when the charge is committed.
            var first = Task.Factory.StartNew(() => writer.WriteAsync(Charge(100)), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default);
            await gated.EnteredAsync(); // the first batch, on the first caller's thread
            var second = writer.WriteAsync(Charge(200));
            gated.Proceed();

            // The first caller's call returns with its charge committed while the batch behind it is still held.
            var firstWrite = await first.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(1_000_000 - 100, (await firstWrite.WaitAsync(TimeSpan.FromSeconds(10))).BalanceAfterNanos);
            await gated.EnteredAsync();
            Assert.False(second.IsCompleted);

            gated.Proceed();
            Assert.Equal(1_000_000 - 300, (await second.WaitAsync(TimeSpan.FromSeconds(10))).BalanceAfterNanos);
        }
        finally
        {
            gated.OpenForGood();
            await writer.StopAsync(default);
        }
    }

    /// <summary>The real store, with each non-empty batch held until the test lets it go.</summary>
    private sealed class GatedLedgerStore(ILedgerStore inner) : ILedgerStore
    {
        private readonly SemaphoreSlim _entered = new(0), _proceed = new(0);
        private volatile bool _open;

        public Task EnteredAsync() => _entered.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(t => Assert.True(t.Result, "no batch reached the store"));

        public void Proceed() => _proceed.Release();

        public void OpenForGood()
        {
            _open = true;
            _proceed.Release(100);
        }

        public Task<IReadOnlyList<AppliedEntry>> ApplyBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct)
        {
            if (entries.Count > 0 && !_open)
            {
                _entered.Release();
                // Held synchronously, as SQLite's own calls are: the batch stays on the thread that runs it.
                _proceed.Wait(ct);
            }
            return inner.ApplyBatchAsync(entries, ct);
        }

        public bool HasDeferredWrites => inner.HasDeferredWrites;
        public Task<long?> GetBalanceAsync(string accountId, CancellationToken ct) => inner.GetBalanceAsync(accountId, ct);
        public Task<IReadOnlyList<TransactionRecord>> ListTransactionsAsync(string accountId, long? beforeSeq, int limit, CancellationToken ct) =>
            inner.ListTransactionsAsync(accountId, beforeSeq, limit, ct);
        public Task<GenerationRecord?> GetGenerationAsync(string accountId, string generationId, CancellationToken ct) =>
            inner.GetGenerationAsync(accountId, generationId, ct);
    }
}
