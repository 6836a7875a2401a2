using ARouter.Storage;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Storage;

public sealed class SqliteChargesMigrationTests() : ChargesMigrationTests(StoreEngine.Sqlite);

[RunsOnPostgres]
public sealed class PostgresChargesMigrationTests() : ChargesMigrationTests(StoreEngine.Postgres);

/// <summary>
/// Migration 006 makes a charge its generation record: a database of the earlier schema lists the same credits and
/// charges afterwards, and a generation charged before it cannot be charged again.
/// </summary>
public abstract class ChargesMigrationTests(StoreEngine engine)
{
    [StoreFact]
    public async Task Charges_move_into_their_generation_records_and_are_listed_as_before()
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using (var connection = await database.OpenConnectionAsync())
        {
            var dialect = engine == StoreEngine.Sqlite ? "sqlite" : "postgres";
            await MigrationSteps.ApplyAsync(connection, dialect, before: "006");
            // A credit; charge a with its generation record; charge b whose record a crash lost (SQLite wrote records
            // after their charges); and a generation that charged nothing.
            await MigrationSteps.ExecuteAsync(connection, """
                INSERT INTO accounts (id, name, balance_nanos, total_credits_nanos, total_usage_nanos, created_at) VALUES ('acc_1', 'a', 700, 1000, 300, 1);
                INSERT INTO transactions (id, account_id, type, amount_nanos, balance_after_nanos, description, created_at)
                    VALUES ('txn_credit', 'acc_1', 'credit', 1000, 1000, 'top-up', 10);
                INSERT INTO transactions (id, account_id, type, amount_nanos, balance_after_nanos, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok)
                    VALUES ('txn_a', 'acc_1', 'charge', -100, 900, 'gen-a', 'key_1', 'openai/gpt-5.4-mini', 'openai', 10, 20, 20, FALSE);
                INSERT INTO transactions (id, account_id, type, amount_nanos, balance_after_nanos, generation_id, key_id, model, provider, prompt_tokens, completion_tokens, created_at, byok)
                    VALUES ('txn_b', 'acc_1', 'charge', -200, 700, 'gen-b', 'key_1', 'anthropic/claude-sonnet-4.6', 'anthropic', 30, 40, 30, TRUE);
                INSERT INTO generations (id, account_id, key_id, model, provider, upstream_model, endpoint, streamed, status, prompt_tokens, completion_tokens,
                    cached_tokens, reasoning_tokens, usage_counted, cost_nanos, latency_ms, byok, created_at)
                    VALUES ('gen-a', 'acc_1', 'key_1', 'openai/gpt-5.4-mini', 'openai', 'gpt-5.4-mini', 'chat', TRUE, 200, 10, 20, 5, 0, FALSE, 100, 80, FALSE, 15);
                INSERT INTO generations (id, account_id, key_id, model, provider, upstream_model, endpoint, streamed, status, prompt_tokens, completion_tokens,
                    cached_tokens, reasoning_tokens, usage_counted, cost_nanos, latency_ms, byok, created_at)
                    VALUES ('gen-free', 'acc_1', 'key_1', 'openai/gpt-5.4-mini', 'openai', 'gpt-5.4-mini', 'chat', FALSE, 502, 0, 0, 0, 0, FALSE, 0, 9, FALSE, 25);
                """);
        }

        await using var store = await database.OpenMigratedAsync();

        var listed = await store.ListTransactionsAsync("acc_1", null, 10, default);
        // A charge is dated by its request now: gen-a's record says 15, where its old charge row said 20.
        Assert.Equal(
            [("txn_b", TransactionType.Charge, -200L, 700L, "gen-b", 30L, true), ("txn_a", TransactionType.Charge, -100L, 900L, "gen-a", 15L, false),
                ("txn_credit", TransactionType.Credit, 1000L, 1000L, null, 10L, false)],
            listed.Select(t => (t.Id, t.Type, t.AmountNanos, t.BalanceAfterNanos, t.GenerationId, t.CreatedAt.ToUnixTimeMilliseconds(), t.Byok)));
        Assert.Equal(("anthropic/claude-sonnet-4.6", "key_1", (int?)30, (int?)40), (listed[0].Model, listed[0].KeyId, listed[0].PromptTokens, listed[0].CompletionTokens));
        Assert.Equal(["txn_credit"], await database.ReadColumnAsync("SELECT id FROM transactions"));

        Assert.Equal(("chat", 100L, 5, 80L), await store.GetGenerationAsync("acc_1", "gen-a", default) is { } a ? (a.Endpoint, a.CostNanos, a.CachedTokens, a.LatencyMs) : default);
        var restored = await store.GetGenerationAsync("acc_1", "gen-b", default);
        Assert.Equal(("unknown", "anthropic", 200L, 30, 40, true), (restored!.Endpoint, restored.Provider, restored.CostNanos, restored.PromptTokens, restored.CompletionTokens, restored.Byok));
        Assert.Equal(502, (await store.GetGenerationAsync("acc_1", "gen-free", default))?.Status);

        var generation = new GenerationRecord
        {
            Id = "gen-a", AccountId = "acc_1", KeyId = "key_1", Model = "openai/gpt-5.4-mini", Provider = "openai",
            UpstreamModel = "gpt-5.4-mini", Endpoint = "chat", CreatedAt = DateTimeOffset.UtcNow,
        };
        var again = await store.ApplyBatchAsync([new ChargeEntry("acc_1", 50, Ids.NewTransactionId(), generation), new ChargeEntry("acc_1", 50, Ids.NewTransactionId(), generation with { Id = "gen-c" })], default);
        Assert.Equal([false, true], again.Select(a => a.Applied));
        Assert.Equal(650, await store.GetBalanceAsync("acc_1", default));
        Assert.Equal(4, (await store.ListTransactionsAsync("acc_1", null, 10, default)).Count);
    }
}
