using System.Text;
using ARouter.Auth;
using ARouter.Storage;
using ARouter.Storage.Sqlite;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Storage;

public sealed class SqliteStoreTests() : StoreTests(StoreEngine.Sqlite);

[RunsOnPostgres]
public sealed class PostgresStoreTests() : StoreTests(StoreEngine.Postgres);

/// <summary>What every storage engine must do the same way: the contract of <see cref="IStore"/>, run once per engine.</summary>
public abstract class StoreTests(StoreEngine engine) : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private IStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(engine);
        _store = await _database.OpenMigratedAsync();
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _database.DisposeAsync();
    }

    private async Task<(AccountRecord Account, ApiKeyRecord Key)> AccountAsync(long credit = 10_000)
    {
        var (_, key) = ApiKeyFormat.Create(Ids.NewAccountId(), "first", management: true);
        return (await _store.CreateAccountAsync("acme", credit, key, default), key);
    }

    private static GenerationRecord Generation(string account, string key, string? id = null) => new()
    {
        Id = id ?? Ids.NewGenerationId(), AccountId = account, KeyId = key, Model = "deepseek/deepseek-chat", Provider = "deepseek",
        UpstreamModel = "deepseek-chat", Endpoint = "chat", Streamed = true, Status = 200, FinishReason = "stop", PromptTokens = 11,
        CompletionTokens = 7, CachedTokens = 3, ReasoningTokens = 2, UsageCounted = true, LatencyMs = 120, FirstByteMs = 40, Byok = true,
        AttemptsJson = """[{"model":"openai/gpt-4o","provider":"openai","status":503,"latency_ms":9}]""",
        CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()),
    };

    /// <summary>Each index is one more B-tree page every settle writes and waits for: the ledger keeps only those a query or a rule needs.</summary>
    [StoreFact]
    public async Task The_ledgers_tables_are_indexed_for_the_listings_only()
    {
        Task<List<string>> IndexesAsync(string table) => _database.ReadColumnAsync(engine == StoreEngine.Sqlite
            ? $"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name"
            : $"SELECT indexname FROM pg_indexes WHERE tablename = '{table}' AND indexname <> '{table}_pkey' ORDER BY indexname");

        Assert.Equal(["ix_transactions_account"], await IndexesAsync("transactions"));
        // Besides the primary key, which is also the one-charge rule: a charge is its generation record.
        Assert.Equal(["ix_generations_account", "ix_generations_account_model"], await IndexesAsync("generations"));
    }

    [StoreFact]
    public async Task Migrations_from_several_instances_at_once_leave_one_working_schema()
    {
        await using var fresh = await TestDatabase.CreateAsync(engine);
        var stores = Enumerable.Range(0, 4).Select(_ => fresh.OpenStore()).ToList();
        Assert.False(await stores[0].IsReadyAsync(default));

        await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync(default))));
        await stores[0].MigrateAsync(default);

        Assert.True(await stores[1].IsReadyAsync(default));
        var (_, key) = ApiKeyFormat.Create(Ids.NewAccountId(), "k", management: true);
        await stores[2].CreateAccountAsync("after migration", 5, key, default);
        Assert.Equal(5, await stores[3].GetBalanceAsync(key.AccountId, default));
        foreach (var store in stores) await store.DisposeAsync();
    }

    [StoreFact]
    public async Task A_new_account_has_its_opening_credit_and_first_key()
    {
        var (account, key) = await AccountAsync(2_500);

        var stored = await _store.GetAccountAsync(account.Id, default);
        Assert.Equal(("acme", 2_500L, 2_500L, 0L), (stored!.Name, stored.BalanceNanos, stored.TotalCreditsNanos, stored.TotalUsageNanos));
        Assert.Equal(account.CreatedAt, stored.CreatedAt);
        var credit = Assert.Single(await _store.ListTransactionsAsync(account.Id, null, 10, default));
        Assert.Equal((TransactionType.Credit, 2_500L, 2_500L, "initial credit"), (credit.Type, credit.AmountNanos, credit.BalanceAfterNanos, credit.Description));
        var found = await _store.FindByHashAsync(key.KeyHash, default);
        Assert.Equal(key.Id, found!.Id);
        Assert.True(found.IsManagement);
        Assert.Null(await _store.GetAccountAsync(Ids.NewAccountId(), default));
    }

    [StoreFact]
    public async Task Credit_goes_to_an_existing_account_only()
    {
        var (account, _) = await AccountAsync(0);
        var after = await _store.AddCreditDirectAsync(account.Id, 700, "cli", default);
        Assert.Equal((700L, 700L), (after.BalanceNanos, after.TotalCreditsNanos));
        Assert.Equal("cli", Assert.Single(await _store.ListTransactionsAsync(account.Id, null, 10, default)).Description);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.AddCreditDirectAsync(Ids.NewAccountId(), 1, null, default));
    }

    [StoreFact]
    public async Task Keys_are_created_updated_and_revoked_and_every_change_moves_the_version()
    {
        var (account, first) = await AccountAsync();
        var (_, second) = ApiKeyFormat.Create(account.Id, "ci", management: false, limitNanos: 900, rateLimitRequests: 5, rateLimitIntervalSeconds: 60);
        second = second with { CreatedAt = first.CreatedAt.AddSeconds(1) };
        await _store.CreateKeyAsync(second, default);
        var version = await _store.GetKeysVersionAsync(default);

        var updated = await _store.UpdateKeyAsync(second with { Name = "ci-2", LimitNanos = null, RateLimitRequests = 10, Disabled = true }, default);
        Assert.Equal(("ci-2", (long?)null, (int?)10, (int?)60, true), (updated!.Name, updated.LimitNanos, updated.RateLimitRequests, updated.RateLimitIntervalSeconds, updated.Disabled));
        Assert.False(updated.IsUsable);
        Assert.True(await _store.GetKeysVersionAsync(default) > version);
        Assert.Equal([first.Id, second.Id], (await _store.ListKeysAsync(account.Id, default)).Select(k => k.Id));

        version = await _store.GetKeysVersionAsync(default);
        var revoked = await _store.RevokeKeyAsync(account.Id, second.Id, default);
        Assert.NotNull(revoked?.RevokedAt);
        Assert.True(await _store.GetKeysVersionAsync(default) > version);
        Assert.Null(await _store.RevokeKeyAsync(account.Id, second.Id, default));
        Assert.Null(await _store.GetKeyAsync(account.Id, second.Id, default));
        Assert.Null(await _store.UpdateKeyAsync(second, default));
        Assert.NotNull((await _store.FindByHashAsync(second.KeyHash, default))!.RevokedAt);
        Assert.Equal([first.Id], (await _store.ListKeysAsync(account.Id, default)).Select(k => k.Id));
    }

    [StoreFact]
    public async Task A_key_belongs_to_its_account_only()
    {
        var (account, key) = await AccountAsync();
        var (other, _) = await AccountAsync();
        Assert.Null(await _store.GetKeyAsync(other.Id, key.Id, default));
        Assert.Null(await _store.RevokeKeyAsync(other.Id, key.Id, default));
        Assert.NotNull(await _store.GetKeyAsync(account.Id, key.Id, default));
        var (_, orphan) = ApiKeyFormat.Create(Ids.NewAccountId(), "orphan", management: false);
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.CreateKeyAsync(orphan, default));
    }

    [StoreFact]
    public async Task Provider_keys_are_replaced_listed_and_deleted()
    {
        var (account, _) = await AccountAsync();
        await _store.UpsertProviderKeyAsync(account.Id, "openai", [1, 2, 3], default);
        await _store.UpsertProviderKeyAsync(account.Id, "openai", [4, 5], default);
        await _store.UpsertProviderKeyAsync(account.Id, "anthropic", Encoding.UTF8.GetBytes("x"), default);

        Assert.Equal(new byte[] { 4, 5 }, await _store.GetProviderKeyAsync(account.Id, "openai", default));
        Assert.Equal(["anthropic", "openai"], (await _store.ListProviderKeysAsync(account.Id, default)).Select(k => k.Provider));
        Assert.True(await _store.DeleteProviderKeyAsync(account.Id, "openai", default));
        Assert.False(await _store.DeleteProviderKeyAsync(account.Id, "openai", default));
        Assert.Null(await _store.GetProviderKeyAsync(account.Id, "openai", default));
    }

    [StoreFact]
    public async Task A_charge_moves_balance_key_usage_and_generation_together()
    {
        var (account, key) = await AccountAsync(10_000);
        var generation = Generation(account.Id, key.Id);

        var applied = Assert.Single(await _store.ApplyBatchAsync([new ChargeEntry(account.Id, 1_234, Ids.NewTransactionId(), generation)], default));

        Assert.Equal((true, 8_766L, 1_234L), (applied.Applied, applied.BalanceAfterNanos, applied.Entry.AmountNanos));
        var stored = await _store.GetAccountAsync(account.Id, default);
        Assert.Equal((8_766L, 1_234L), (stored!.BalanceNanos, stored.TotalUsageNanos));
        var usedKey = await _store.GetKeyAsync(account.Id, key.Id, default);
        Assert.Equal(1_234, usedKey!.UsageNanos);
        Assert.NotNull(usedKey.LastUsedAt);
        var charge = (await _store.ListTransactionsAsync(account.Id, null, 10, default))[0];
        Assert.Equal((TransactionType.Charge, -1_234L, 8_766L, generation.Id, key.Id, true, (int?)11, (int?)7),
            (charge.Type, charge.AmountNanos, charge.BalanceAfterNanos, charge.GenerationId, charge.KeyId, charge.Byok, charge.PromptTokens, charge.CompletionTokens));
        Assert.Equal(generation with { CostNanos = 1_234 }, await _store.GetGenerationAsync(account.Id, generation.Id, default));
        Assert.Null(await _store.GetGenerationAsync(Ids.NewAccountId(), generation.Id, default));
    }

    [StoreFact]
    public async Task A_generation_is_charged_once_however_often_it_is_settled()
    {
        var (account, key) = await AccountAsync(10_000);
        var generation = Generation(account.Id, key.Id);

        var first = await _store.ApplyBatchAsync([new ChargeEntry(account.Id, 500, Ids.NewTransactionId(), generation), new ChargeEntry(account.Id, 500, Ids.NewTransactionId(), generation)], default);
        var again = await _store.ApplyBatchAsync([new ChargeEntry(account.Id, 500, Ids.NewTransactionId(), generation)], default);

        Assert.Equal([true, false, false], first.Concat(again).Select(a => a.Applied));
        Assert.Equal(9_500, await _store.GetBalanceAsync(account.Id, default));
        Assert.Single(await _store.ListTransactionsAsync(account.Id, null, 10, default), t => t.Type == TransactionType.Charge);
    }

    [StoreFact]
    public async Task A_charge_larger_than_the_balance_takes_the_balance_to_zero_not_below()
    {
        var (account, key) = await AccountAsync(300);
        var applied = Assert.Single(await _store.ApplyBatchAsync([new ChargeEntry(account.Id, 5_000, Ids.NewTransactionId(), Generation(account.Id, key.Id))], default));

        Assert.Equal((300L, 0L), (applied.Entry.AmountNanos, applied.BalanceAfterNanos));
        Assert.Equal(0, await _store.GetBalanceAsync(account.Id, default));
        Assert.Equal(0, (await _store.ListTransactionsAsync(account.Id, null, 10, default)).Sum(t => t.AmountNanos));
    }

    [StoreFact]
    public async Task Entries_for_an_unknown_account_are_not_applied_and_the_rest_of_the_batch_is()
    {
        var (account, key) = await AccountAsync(1_000);
        var ghost = Ids.NewAccountId();
        var applied = await _store.ApplyBatchAsync(
        [
            new ChargeEntry(ghost, 10, Ids.NewTransactionId(), Generation(ghost, key.Id)),
            new CreditEntry(ghost, 10, Ids.NewTransactionId(), null),
            new CreditEntry(account.Id, 250, Ids.NewTransactionId(), "top-up"),
            new ChargeEntry(account.Id, 50, Ids.NewTransactionId(), Generation(account.Id, key.Id)),
        ], default);

        Assert.Equal([false, false, true, true], applied.Select(a => a.Applied));
        Assert.Equal([1_250L, 1_200L], applied.Skip(2).Select(a => a.BalanceAfterNanos));
        Assert.Null(await _store.GetBalanceAsync(ghost, default));
    }

    [StoreFact]
    public async Task A_request_that_cost_nothing_leaves_only_its_generation_record()
    {
        var (account, key) = await AccountAsync(1_000);
        var generation = Generation(account.Id, key.Id) with { Status = 502, ErrorType = "upstream", FinishReason = null, FirstByteMs = null, AttemptsJson = null };

        var applied = await _store.ApplyBatchAsync([new GenerationOnlyEntry(generation), new GenerationOnlyEntry(generation)], default);

        Assert.Equal([true, false], applied.Select(a => a.Applied));
        Assert.Equal(generation, await _store.GetGenerationAsync(account.Id, generation.Id, default));
        Assert.Equal(1_000, await _store.GetBalanceAsync(account.Id, default));
        Assert.Single(await _store.ListTransactionsAsync(account.Id, null, 10, default));
    }

    [StoreFact]
    public async Task A_batch_charging_several_accounts_and_keys_leaves_each_as_if_charged_one_by_one()
    {
        var (first, firstKey) = await AccountAsync(1_000);
        var (second, secondKey) = await AccountAsync(500);
        var (_, otherKey) = ApiKeyFormat.Create(first.Id, "second key", management: false);
        await _store.CreateKeyAsync(otherKey, default);
        var repeated = Generation(first.Id, firstKey.Id);
        var free = Generation(first.Id, firstKey.Id) with { Status = 502 };

        var applied = await _store.ApplyBatchAsync(
        [
            new ChargeEntry(first.Id, 300, Ids.NewTransactionId(), repeated),
            new ChargeEntry(second.Id, 200, Ids.NewTransactionId(), Generation(second.Id, secondKey.Id)),
            new ChargeEntry(first.Id, 400, Ids.NewTransactionId(), Generation(first.Id, otherKey.Id)),
            new ChargeEntry(first.Id, 999, Ids.NewTransactionId(), repeated with { Model = "openai/gpt-4o" }),
            new GenerationOnlyEntry(free),
            new ChargeEntry(second.Id, 400, Ids.NewTransactionId(), Generation(second.Id, secondKey.Id)),
            new ChargeEntry(first.Id, 500, Ids.NewTransactionId(), Generation(first.Id, firstKey.Id)),
            new ChargeEntry(first.Id, 50, Ids.NewTransactionId(), Generation(first.Id, otherKey.Id)),
        ], default);

        Assert.Equal([true, true, true, false, true, true, true, true], applied.Select(a => a.Applied));
        // Each charge is capped at what the charges before it in the batch left.
        Assert.Equal([300L, 200, 400, 999, 0, 300, 300, 0], applied.Select(a => a.Entry.AmountNanos));
        Assert.Equal([700L, 300, 300, 0, 0, 0, 0, 0], applied.Select(a => a.BalanceAfterNanos));
        var (a, b) = ((await _store.GetAccountAsync(first.Id, default))!, (await _store.GetAccountAsync(second.Id, default))!);
        Assert.Equal((0L, 1_000L, 0L, 500L), (a.BalanceNanos, a.TotalUsageNanos, b.BalanceNanos, b.TotalUsageNanos));
        Assert.Equal(600, (await _store.GetKeyAsync(first.Id, firstKey.Id, default))!.UsageNanos);
        var usedOther = (await _store.GetKeyAsync(first.Id, otherKey.Id, default))!;
        Assert.Equal(400, usedOther.UsageNanos);
        Assert.NotNull(usedOther.LastUsedAt);
        Assert.Equal(500, (await _store.GetKeyAsync(second.Id, secondKey.Id, default))!.UsageNanos);
        // Opening credit, then the charges in order: each row's balance is the one its charge left.
        Assert.Equal([0L, 0, 300, 700, 1_000], (await _store.ListTransactionsAsync(first.Id, null, 20, default)).Select(t => t.BalanceAfterNanos));
        Assert.Equal([0L, 300, 500], (await _store.ListTransactionsAsync(second.Id, null, 20, default)).Select(t => t.BalanceAfterNanos));
        // The repeated settle recorded nothing: the generation keeps its first model and cost.
        Assert.Equal(repeated with { CostNanos = 300 }, await _store.GetGenerationAsync(first.Id, repeated.Id, default));
        Assert.Equal(free, await _store.GetGenerationAsync(first.Id, free.Id, default));
    }

    [StoreFact]
    public async Task A_credit_between_charges_in_one_batch_is_counted_between_them()
    {
        var (account, key) = await AccountAsync(1_000);

        var applied = await _store.ApplyBatchAsync(
        [
            new ChargeEntry(account.Id, 600, Ids.NewTransactionId(), Generation(account.Id, key.Id)),
            new CreditEntry(account.Id, 1_000, Ids.NewTransactionId(), "top-up"),
            new ChargeEntry(account.Id, 1_000, Ids.NewTransactionId(), Generation(account.Id, key.Id)),
        ], default);

        Assert.Equal([400L, 1_400, 400], applied.Select(a => a.BalanceAfterNanos));
        Assert.Equal([600L, 1_000, 1_000], applied.Select(a => a.Entry.AmountNanos));
        var stored = (await _store.GetAccountAsync(account.Id, default))!;
        Assert.Equal((400L, 2_000L, 1_600L), (stored.BalanceNanos, stored.TotalCreditsNanos, stored.TotalUsageNanos));
        Assert.Equal(1_600, (await _store.GetKeyAsync(account.Id, key.Id, default))!.UsageNanos);
        Assert.Equal(400, (await _store.ListTransactionsAsync(account.Id, null, 10, default)).Sum(t => t.AmountNanos));
    }

    [StoreFact]
    public async Task Empty_and_non_ascii_text_is_stored_as_given()
    {
        var (account, key) = await AccountAsync(1_000);
        var attempts = "[" + string.Join(',', Enumerable.Range(0, 40).Select(i => $$"""{"model":"modèle-日本-{{i}}","provider":"ẞ","status":503,"latency_ms":{{i}}}""")) + "]";
        var generation = Generation(account.Id, key.Id) with { Model = "anbieter/modèle-日本語-🚀", Endpoint = "", FinishReason = "", ErrorType = "", AttemptsJson = attempts };

        var applied = Assert.Single(await _store.ApplyBatchAsync([new ChargeEntry(account.Id, 10, Ids.NewTransactionId(), generation)], default));

        Assert.True(applied.Applied);
        Assert.Equal(generation with { CostNanos = 10 }, await _store.GetGenerationAsync(account.Id, generation.Id, default));
        Assert.Equal(generation.Model, (await _store.ListTransactionsAsync(account.Id, null, 1, default))[0].Model);
    }

    [StoreFact]
    public async Task A_charge_is_its_generation_record_in_the_table_once_its_batch_returns()
    {
        var (account, key) = await AccountAsync(1_000);
        var generation = Generation(account.Id, key.Id);
        var transactionId = Ids.NewTransactionId();
        await _store.ApplyBatchAsync([new ChargeEntry(account.Id, 10, transactionId, generation)], default);
        await using var another = _database.OpenStore();

        Assert.Equal(generation with { CostNanos = 10 }, await another.GetGenerationAsync(account.Id, generation.Id, default));
        Assert.Null(await another.GetGenerationAsync(Ids.NewAccountId(), generation.Id, default));
        var charge = (await another.ListTransactionsAsync(account.Id, null, 10, default))[0];
        Assert.Equal((transactionId, TransactionType.Charge, -10L, 990L, generation.Id, generation.CreatedAt, (string?)null),
            (charge.Id, charge.Type, charge.AmountNanos, charge.BalanceAfterNanos, charge.GenerationId, charge.CreatedAt, charge.Description));
    }

    [StoreFact]
    public async Task A_batch_that_fails_part_way_changes_nothing_and_its_retry_charges_each_entry_once()
    {
        var (account, key) = await AccountAsync(1_000);
        LedgerEntry[] batch =
        [
            new ChargeEntry(account.Id, 100, Ids.NewTransactionId(), Generation(account.Id, key.Id)),
            new GenerationOnlyEntry(Generation(account.Id, key.Id) with { Status = 502 }),
            new ChargeEntry(account.Id, 200, Ids.NewTransactionId(), Generation(account.Id, key.Id) with { Model = "test/fails" }),
            new ChargeEntry(account.Id, 300, Ids.NewTransactionId(), Generation(account.Id, key.Id)),
        ];
        await using (var fault = await InsertFault.ChargesAsync(_database, "test/fails"))
        {
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => _store.ApplyBatchAsync(batch, default));

            Assert.Equal(1_000, await _store.GetBalanceAsync(account.Id, default));
            Assert.Single(await _store.ListTransactionsAsync(account.Id, null, 10, default));
            Assert.Null(await _store.GetGenerationAsync(account.Id, ((ChargeEntry)batch[0]).Generation.Id, default));
        }

        var retried = await _store.ApplyBatchAsync(batch, default);
        var again = await _store.ApplyBatchAsync(batch, default);

        Assert.Equal([true, true, true, true], retried.Select(a => a.Applied));
        Assert.Equal([900L, 0, 700, 400], retried.Select(a => a.BalanceAfterNanos));
        Assert.All(again, a => Assert.False(a.Applied));
        var stored = (await _store.GetAccountAsync(account.Id, default))!;
        Assert.Equal((400L, 600L), (stored.BalanceNanos, stored.TotalUsageNanos));
        Assert.Equal(600, (await _store.GetKeyAsync(account.Id, key.Id, default))!.UsageNanos);
        Assert.Equal(3, (await _store.ListTransactionsAsync(account.Id, null, 10, default)).Count(t => t.Type == TransactionType.Charge));
    }

    [StoreFact]
    public async Task Transactions_page_credits_and_charges_together_newest_first_before_a_cursor()
    {
        var (account, key) = await AccountAsync(0);
        var made = new List<string>();
        for (var i = 1; i <= 4; i++)
        {
            await _store.AddCreditDirectAsync(account.Id, 10 * i, $"credit {i}", default);
            made.Add($"credit {i}");
            var generation = Generation(account.Id, key.Id);
            await _store.ApplyBatchAsync([new ChargeEntry(account.Id, i, Ids.NewTransactionId(), generation)], default);
            made.Add(generation.Id);
        }
        // Some rows share a millisecond, most likely all of them: within one, the order is still the order they were made in.

        var pages = new List<IReadOnlyList<TransactionRecord>>();
        PageCursor? cursor = null;
        do
        {
            pages.Add(await _store.ListTransactionsAsync(account.Id, cursor, 3, default));
            cursor = pages[^1] is [.., var last] ? new PageCursor(last.CreatedAt, last.Id) : null;
        } while (pages[^1].Count == 3);

        Assert.Equal([3, 3, 2], pages.Select(p => p.Count));
        var listed = pages.SelectMany(p => p).ToList();
        Assert.Equal(Enumerable.Reverse(made), listed.Select(t => t.Description ?? t.GenerationId));
        Assert.Equal([90L, 94, 54, 57, 27, 29, 9, 10], listed.Select(t => t.BalanceAfterNanos));
    }
}
