using ARouter.Auth;
using ARouter.Billing;
using ARouter.Storage;
using ARouter.Tests.Infrastructure;
using ARouter.Tests.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ARouter.Tests.Billing;

public sealed class SqliteLedgerTests() : LedgerTests(StoreEngine.Sqlite);

[RunsOnPostgres]
public sealed class PostgresLedgerTests() : LedgerTests(StoreEngine.Postgres);

/// <summary>The ledger over a real database, run once per engine.</summary>
public abstract class LedgerTests(StoreEngine engine) : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private IStore _store = null!;
    private LedgerWriter _writer = null!;
    private Ledger _ledger = null!;
    private readonly List<IStore> _opened = [];

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(engine);
        (_store, _writer, _ledger) = await OpenAsync();
    }

    private async Task<(IStore, LedgerWriter, Ledger)> OpenAsync()
    {
        var store = await _database.OpenMigratedAsync();
        _opened.Add(store);
        var writer = new LedgerWriter(store, NullLogger<LedgerWriter>.Instance);
        await writer.StartAsync(default);
        var ledger = new Ledger(store, writer, TimeProvider.System, NullLogger<Ledger>.Instance);
        writer.Refresh = ledger.RefreshAsync;
        return (store, writer, ledger);
    }

    public async Task DisposeAsync()
    {
        await _writer.StopAsync(default);
        foreach (var store in _opened) await store.DisposeAsync();
        await _database.DisposeAsync();
    }

    private async Task<(string AccountId, string KeyId)> AccountAsync(long nanos)
    {
        var id = Ids.NewAccountId();
        var (_, key) = ApiKeyFormat.Create(id, "k", management: true);
        await _store.CreateAccountAsync("t", nanos, key, default);
        return (id, key.Id);
    }

    private static GenerationRecord Generation(string id, string account, string key) => new()
    {
        Id = id, AccountId = account, KeyId = key, Model = "deepseek/deepseek-chat", Provider = "deepseek", UpstreamModel = "deepseek-chat",
        Endpoint = "test", PromptTokens = 1, CompletionTokens = 1, CreatedAt = DateTimeOffset.UtcNow,
    };

    [StoreFact]
    public async Task Concurrent_reservations_never_spend_more_than_the_balance()
    {
        var (account, key) = await AccountAsync(10_000);
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            await Task.Yield();
            var generation = Ids.NewGenerationId();
            var outcome = await _ledger.ReserveAsync(account, key, generation, 1_000, default);
            if (outcome.Reservation is null) return 0L;
            await Task.Delay(Random.Shared.Next(0, 5));
            return await outcome.Reservation.SettleAsync(1_000, Generation(generation, account, key));
        }));

        Assert.Equal(10, results.Count(r => r > 0));
        Assert.Equal(0, await _store.GetBalanceAsync(account, default));
        var transactions = await _store.ListTransactionsAsync(account, null, 100, default);
        Assert.Equal(10, transactions.Count(t => t.Type == TransactionType.Charge));
        // balance = credits − Σ charges, to the nano-dollar
        Assert.Equal(0, transactions.Sum(t => t.AmountNanos));
    }

    [StoreFact]
    public async Task A_reservation_settles_exactly_once()
    {
        var (account, key) = await AccountAsync(10_000);
        var generation = Ids.NewGenerationId();
        var reservation = (await _ledger.ReserveAsync(account, key, generation, 5_000, default)).Reservation!;
        var record = Generation(generation, account, key);

        await Task.WhenAll(reservation.SettleAsync(300, record).AsTask(), reservation.SettleAsync(300, record).AsTask());
        reservation.Release(record);

        Assert.Equal(9_700, await _store.GetBalanceAsync(account, default));
        Assert.Single(await _store.ListTransactionsAsync(account, null, 100, default), t => t.Type == TransactionType.Charge);
    }

    [StoreFact]
    public async Task A_charge_above_the_reservation_is_capped_at_the_balance()
    {
        var (account, key) = await AccountAsync(1_000);
        var generation = Ids.NewGenerationId();
        var reservation = (await _ledger.ReserveAsync(account, key, generation, 500, default)).Reservation!;
        var charged = await reservation.SettleAsync(5_000, Generation(generation, account, key));

        Assert.Equal(1_000, charged);
        Assert.Equal(0, await _store.GetBalanceAsync(account, default));
    }

    [StoreFact]
    public async Task Released_reservations_cost_nothing_and_free_the_credit()
    {
        var (account, key) = await AccountAsync(1_000);
        var first = (await _ledger.ReserveAsync(account, key, Ids.NewGenerationId(), 1_000, default)).Reservation!;
        Assert.Equal(ReserveStatus.InsufficientCredits, (await _ledger.ReserveAsync(account, key, Ids.NewGenerationId(), 1, default)).Status);
        first.Release(null);
        Assert.Equal(ReserveStatus.Reserved, (await _ledger.ReserveAsync(account, key, Ids.NewGenerationId(), 1_000, default)).Status);
    }

    [StoreFact]
    public async Task After_a_restart_no_reservation_is_stranded()
    {
        var (account, key) = await AccountAsync(1_000);
        var held = await _ledger.ReserveAsync(account, key, Ids.NewGenerationId(), 900, default);
        Assert.NotNull(held.Reservation);

        // A new process over the same database: reservations lived only in the old one's memory.
        var (_, writer, ledger) = await OpenAsync();
        var again = await ledger.ReserveAsync(account, key, Ids.NewGenerationId(), 1_000, default);
        Assert.Equal(ReserveStatus.Reserved, again.Status);
        await writer.StopAsync(default);
    }

    [StoreFact]
    public async Task Credit_added_by_another_process_is_seen_by_the_running_ledger()
    {
        var (account, key) = await AccountAsync(0);
        Assert.Equal(ReserveStatus.InsufficientCredits, (await _ledger.ReserveAsync(account, key, Ids.NewGenerationId(), 100, default)).Status);

        // The CLI writes straight to the database while the gateway runs.
        await using (var cli = _database.OpenStore()) await cli.AddCreditDirectAsync(account, 1_000, "cli", default);
        await _ledger.RefreshAsync(default);

        Assert.Equal(ReserveStatus.Reserved, (await _ledger.ReserveAsync(account, key, Ids.NewGenerationId(), 100, default)).Status);
    }

    [StoreFact]
    public async Task Credit_added_by_another_process_reaches_the_running_ledger_by_itself_whether_it_is_idle_or_busy()
    {
        var (idleAccount, idleKey) = await AccountAsync(0);
        var (busyAccount, busyKey) = await AccountAsync(1_000_000);
        await using (var cli = _database.OpenStore()) await cli.AddCreditDirectAsync(idleAccount, 1_000, "cli", default);

        // Nobody calls RefreshAsync: the writer's idle timer does, every 2 s.
        await Poll.UntilAsync(async () => (await _ledger.ReserveAsync(idleAccount, idleKey, Ids.NewGenerationId(), 100, default)).Status == ReserveStatus.Reserved);

        // While settles keep the writer busy, it still refreshes between batches.
        await using (var cli = _database.OpenStore()) await cli.AddCreditDirectAsync(idleAccount, 5_000, "cli", default);
        var seen = false;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!seen && DateTime.UtcNow < deadline)
        {
            var generation = Ids.NewGenerationId();
            var outcome = await _ledger.ReserveAsync(busyAccount, busyKey, generation, 10, default);
            await outcome.Reservation!.SettleAsync(1, Generation(generation, busyAccount, busyKey));
            seen = (await _ledger.ReserveAsync(idleAccount, idleKey, Ids.NewGenerationId(), 5_500, default)).Status == ReserveStatus.Reserved;
        }
        Assert.True(seen, "the credit was not seen while the writer was busy");
    }

    [StoreFact]
    public async Task A_settle_returns_what_the_database_charged_when_it_capped_the_charge_at_the_balance()
    {
        var (account, key) = await AccountAsync(1_500);
        // Without Redis a second process does not see this one's hold: both hold 1_000 of the 1_500.
        var (_, _, otherLedger) = await OpenAsync();
        var first = Ids.NewGenerationId();
        var second = Ids.NewGenerationId();
        var held = (await _ledger.ReserveAsync(account, key, first, 1_000, default)).Reservation!;
        var heldElsewhere = (await otherLedger.ReserveAsync(account, key, second, 1_000, default)).Reservation!;

        Assert.Equal(1_000, await held.SettleAsync(1_000, Generation(first, account, key)));
        // The database has 500 left and charges that: the caller is shown the 500, not the 1_000 this process expected.
        Assert.Equal(500, await heldElsewhere.SettleAsync(1_000, Generation(second, account, key)));
        var charges = (await _store.ListTransactionsAsync(account, null, 10, default)).Where(t => t.Type == TransactionType.Charge);
        Assert.Equal(-500, Assert.Single(charges, t => t.GenerationId == second).AmountNanos);
        Assert.Equal(0, await _store.GetBalanceAsync(account, default));
    }

    [StoreFact]
    public async Task Two_gateway_processes_settling_against_one_account_never_overdraw_and_charge_each_generation_once()
    {
        var (account, key) = await AccountAsync(10_000);
        // A second gateway process on the same database: its own store, ledger writer and in-memory balances.
        var (_, otherWriter, otherLedger) = await OpenAsync();
        Ledger[] ledgers = [_ledger, otherLedger];
        var lowest = long.MaxValue;
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                lowest = Math.Min(lowest, (await _store.GetBalanceAsync(account, default))!.Value);
                await Task.Delay(2);
            }
        });

        // Each process believes it alone holds the 10_000 (without Redis it sees the other's charges only
        // as they commit or at its next refresh), so together they try to spend up to twice the balance.
        var settled = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            await Task.Yield();
            var generation = Ids.NewGenerationId();
            var outcome = await ledgers[i % 2].ReserveAsync(account, key, generation, 1_000, default);
            if (outcome.Reservation is null) return null;
            await outcome.Reservation.SettleAsync(1_000, Generation(generation, account, key));
            return generation;
        }));

        // The same settles delivered to both processes' writers at once: each generation is charged once.
        await AddCreditAsync(account, 5_000);
        var shared = Enumerable.Range(0, 20).Select(_ => Ids.NewGenerationId()).ToList();
        var duplicates = await Task.WhenAll(shared.SelectMany(g => new[] { _writer, otherWriter }.Select(w =>
            w.WriteAsync(new ChargeEntry(account, 100, Ids.NewTransactionId(), Generation(g, account, key))))));
        await otherWriter.StopAsync(default);
        await _writer.StopAsync(default);
        stop.Cancel();
        await watcher;

        Assert.True(lowest >= 0, $"the balance went to {lowest}");
        Assert.Equal(shared.Count, duplicates.Count(d => d.Applied));
        var transactions = await _store.ListTransactionsAsync(account, null, 1_000, default);
        var charges = transactions.Where(t => t.Type == TransactionType.Charge).ToList();
        Assert.All(charges.GroupBy(t => t.GenerationId), g => Assert.Single(g));
        Assert.Equal(settled.Count(g => g is not null) + shared.Count, charges.Count);
        // The first 10_000 spent to the nano and not beyond, then 20 × 100; balance = credits − charges.
        Assert.Equal(-(10_000 + shared.Count * 100), charges.Sum(t => t.AmountNanos));
        var balance = await _store.GetBalanceAsync(account, default);
        Assert.Equal(5_000 - shared.Count * 100, balance);
        Assert.Equal(transactions.Sum(t => t.AmountNanos), balance);
    }

    [StoreFact]
    public async Task A_batch_the_database_refuses_is_retried_until_it_commits_and_each_settle_is_charged_once()
    {
        var (account, key) = await AccountAsync(1_000);
        var logs = new CapturedLogs();
        var writer = new LedgerWriter(_store, new LoggerFactory([logs]).CreateLogger<LedgerWriter>());
        var fault = await InsertFault.ChargesAsync(_database, "test/fails");
        // Queued before the writer starts, so the three go into one batch, the failing one in the middle.
        var writes = new[] { 100L, 200, 300 }.Select(amount => writer.WriteAsync(new ChargeEntry(account, amount, Ids.NewTransactionId(),
            Generation(Ids.NewGenerationId(), account, key) with { Model = amount == 200 ? "test/fails" : "deepseek/deepseek-chat" }))).ToList();
        await writer.StartAsync(default);

        await Poll.UntilAsync(() => logs.Lines.Count(l => l.Contains("Ledger batch")) >= 2);
        Assert.Equal(1_000, await _store.GetBalanceAsync(account, default));
        Assert.All(writes, w => Assert.False(w.IsCompleted));
        await fault.RemoveAsync();
        var applied = await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(60));
        await writer.StopAsync(default);

        Assert.All(applied, a => Assert.True(a.Applied));
        Assert.Equal([900L, 700, 400], applied.Select(a => a.BalanceAfterNanos));
        Assert.Equal(400, await _store.GetBalanceAsync(account, default));
        var charges = (await _store.ListTransactionsAsync(account, null, 100, default)).Where(t => t.Type == TransactionType.Charge).ToList();
        Assert.Equal([-300L, -200, -100], charges.Select(t => t.AmountNanos));
        foreach (var charge in charges) Assert.NotNull(await _store.GetGenerationAsync(account, charge.GenerationId!, default));
    }

    [StoreFact]
    public async Task A_batch_that_stays_uncommitted_is_reported_once_by_the_writer_and_its_settle_still_waits_for_it()
    {
        var (account, key) = await AccountAsync(1_000);
        var logs = new CapturedLogs();
        var writer = new LedgerWriter(_store, new LoggerFactory([logs]).CreateLogger<LedgerWriter>()) { SlowAfter = TimeSpan.FromMilliseconds(300) };
        var fault = await InsertFault.ChargesAsync(_database, "test/fails");
        await writer.StartAsync(default);

        var write = writer.WriteAsync(new ChargeEntry(account, 100, Ids.NewTransactionId(), Generation(Ids.NewGenerationId(), account, key) with { Model = "test/fails" }));
        await Poll.UntilAsync(() => logs.Lines.Any(l => l.Contains("not yet durable")));
        await Task.Delay(TimeSpan.FromMilliseconds(900)); // three more checks of the same batch
        Assert.False(write.IsCompleted);
        var slow = Assert.Single(logs.Lines, l => l.Contains("not yet durable"));
        Assert.Contains("Ledger batch of 1 not yet durable after", slow);
        await fault.RemoveAsync();
        var applied = await write.WaitAsync(TimeSpan.FromSeconds(60));
        await writer.StopAsync(default);

        Assert.Equal((true, 900L), (applied.Applied, applied.BalanceAfterNanos));
    }

    [StoreFact]
    public async Task A_charges_generation_record_is_in_the_table_when_its_write_returns()
    {
        var (account, key) = await AccountAsync(1_000);
        var generation = Ids.NewGenerationId();
        await using var another = _database.OpenStore();

        await _writer.WriteAsync(new ChargeEntry(account, 100, Ids.NewTransactionId(), Generation(generation, account, key)));

        Assert.Equal(100, (await another.GetGenerationAsync(account, generation, default))?.CostNanos);
    }

    private async Task AddCreditAsync(string account, long nanos)
    {
        await using var cli = _database.OpenStore();
        await cli.AddCreditDirectAsync(account, nanos, "top-up", default);
    }
}
