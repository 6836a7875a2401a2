using ARouter.Auth;
using ARouter.Storage;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Storage;

public sealed class SqliteDashboardStoreTests() : DashboardStoreTests(StoreEngine.Sqlite);

[RunsOnPostgres]
public sealed class PostgresDashboardStoreTests() : DashboardStoreTests(StoreEngine.Postgres);

/// <summary>The dashboard's logins and activity views, the same on every engine.</summary>
public abstract class DashboardStoreTests(StoreEngine engine) : IAsyncLifetime
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

    private static LoginRecord Login(string accountId, string email) => new()
    {
        Id = "login_" + Ids.Random(16), AccountId = accountId, Email = email, EmailNormalized = email.ToLowerInvariant(),
        PasswordHash = "hash-" + email, SecurityStamp = Ids.Random(24), CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()),
    };

    private async Task<ApiKeyRecord> AccountAsync(string name = "acme", long credit = 1_000_000)
    {
        var (_, key) = ApiKeyFormat.Create(Ids.NewAccountId(), "first", management: true);
        await _store.CreateAccountAsync(name, credit, key, default);
        return key;
    }

    private static GenerationRecord Generation(ApiKeyRecord key, string model, DateTimeOffset at) => new()
    {
        Id = Ids.NewGenerationId(), AccountId = key.AccountId, KeyId = key.Id, Model = model, Provider = model.Split('/')[0], UpstreamModel = model,
        Endpoint = "chat", Status = 200, PromptTokens = 10, CompletionTokens = 5, LatencyMs = 50, CreatedAt = at,
    };

    private Task Charge(ApiKeyRecord key, string model, DateTimeOffset at, long nanos)
        => _store.ApplyBatchAsync([new ChargeEntry(key.AccountId, nanos, Ids.NewTransactionId(), Generation(key, model, at))], default);

    [StoreFact]
    public async Task Sign_up_creates_the_account_its_login_and_starting_credit_together_once_per_email()
    {
        var login = Login(Ids.NewAccountId(), "Ann@Example.com");
        var account = await _store.CreateAccountWithLoginAsync("Ann@Example.com", 2_500, login, default);
        Assert.Equal(2_500, (await _store.GetAccountAsync(account.Id, default))!.BalanceNanos);
        var credit = Assert.Single(await _store.ListTransactionsAsync(account.Id, null, 10, default));
        Assert.Equal("starting credit", credit.Description);

        var found = await _store.FindLoginByEmailAsync("ann@example.com", default);
        Assert.Equal((login.Id, account.Id, "Ann@Example.com", login.PasswordHash, false), (found!.Id, found.AccountId, found.Email, found.PasswordHash, found.IsAdmin));
        Assert.Equal(login.SecurityStamp, (await _store.GetLoginAsync(login.Id, default))!.SecurityStamp);

        var twin = Login(Ids.NewAccountId(), "ann@example.com");
        await Assert.ThrowsAsync<DuplicateLoginException>(() => _store.CreateAccountWithLoginAsync("twin", 0, twin, default));
        Assert.Null(await _store.GetAccountAsync(twin.AccountId, default));
    }

    [StoreFact]
    public async Task An_existing_account_gets_one_login_and_a_missing_account_none()
    {
        var key = await AccountAsync();
        var login = Login(key.AccountId, "owner@example.com") with { IsAdmin = true };
        await _store.AddLoginAsync(login, default);
        Assert.True((await _store.FindLoginByEmailAsync("owner@example.com", default))!.IsAdmin);
        await Assert.ThrowsAsync<DuplicateLoginException>(() => _store.AddLoginAsync(Login(key.AccountId, "second@example.com"), default));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.AddLoginAsync(Login(Ids.NewAccountId(), "third@example.com"), default));

        await _store.UpdatePasswordAsync(login.Id, "new-hash", "new-stamp", default);
        await _store.RecordSignInAsync(login.Id, default);
        var changed = await _store.GetLoginAsync(login.Id, default);
        Assert.Equal(("new-hash", "new-stamp"), (changed!.PasswordHash, changed.SecurityStamp));
        Assert.NotNull(changed.LastSignInAt);
    }

    [StoreFact]
    public async Task Daily_spend_is_grouped_by_utc_day_and_model_from_the_first_day_asked()
    {
        var key = await AccountAsync();
        var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        await Charge(key, "deepseek/deepseek-chat", today.AddHours(1), 100);
        await Charge(key, "deepseek/deepseek-chat", today.AddHours(2), 50);
        await Charge(key, "openai/gpt-5.4", today.AddDays(-1).AddHours(23), 70);
        await Charge(key, "openai/gpt-5.4", today.AddDays(-40), 999);
        var other = await AccountAsync("other");
        await Charge(other, "deepseek/deepseek-chat", today.AddHours(1), 5);

        var rows = await _store.DailySpendAsync(key.AccountId, DateOnly.FromDateTime(today.AddDays(-29).UtcDateTime), default);
        Assert.Equal(
            [(DateOnly.FromDateTime(today.AddDays(-1).UtcDateTime), "openai/gpt-5.4", 70L, 1L), (DateOnly.FromDateTime(today.UtcDateTime), "deepseek/deepseek-chat", 150L, 2L)],
            rows.Select(r => (r.Day, r.Model, r.CostNanos, r.Requests)).ToList());
        Assert.Equal(["deepseek/deepseek-chat", "openai/gpt-5.4"], await _store.UsedModelsAsync(key.AccountId, default));
    }

    [StoreFact]
    public async Task Generations_and_transactions_page_newest_first_and_filter_by_model_and_key()
    {
        var key = await AccountAsync();
        var (_, second) = ApiKeyFormat.Create(key.AccountId, "second", management: false);
        await _store.CreateKeyAsync(second, default);
        var start = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).AddMinutes(-10);
        for (var i = 0; i < 5; i++) await Charge(key, "deepseek/deepseek-chat", start.AddSeconds(i), 10);
        await Charge(second, "openai/gpt-5.4", start.AddSeconds(10), 10);
        // Two at the same millisecond: the id breaks the tie, so paging neither skips nor repeats one.
        await Charge(key, "deepseek/deepseek-chat", start.AddSeconds(20), 10);
        await Charge(key, "deepseek/deepseek-chat", start.AddSeconds(20), 10);

        var all = new List<GenerationRecord>();
        PageCursor? cursor = null;
        while (true)
        {
            var page = await _store.FindGenerationsAsync(key.AccountId, new ActivityFilter(null, null), cursor, 3, default);
            all.AddRange(page);
            if (page.Count < 3) break;
            cursor = new PageCursor(page[^1].CreatedAt, page[^1].Id);
        }
        Assert.Equal(8, all.Count);
        Assert.Equal(8, all.Select(g => g.Id).Distinct().Count());
        Assert.Equal(all.OrderByDescending(g => g.CreatedAt).ThenByDescending(g => g.Id, StringComparer.Ordinal).Select(g => g.Id), all.Select(g => g.Id));

        Assert.Equal("openai/gpt-5.4", Assert.Single(await _store.FindGenerationsAsync(key.AccountId, new ActivityFilter(null, second.Id), null, 10, default)).Model);
        Assert.Equal(7, (await _store.FindGenerationsAsync(key.AccountId, new ActivityFilter("deepseek/deepseek-chat", null), null, 10, default)).Count);
        Assert.Empty(await _store.FindGenerationsAsync(key.AccountId, new ActivityFilter("deepseek/deepseek-chat", second.Id), null, 10, default));

        var charges = await _store.FindTransactionsAsync(key.AccountId, new ActivityFilter("openai/gpt-5.4", null), null, 10, default);
        Assert.Equal(second.Id, Assert.Single(charges).KeyId);
        var newest = await _store.FindTransactionsAsync(key.AccountId, new ActivityFilter(null, null), null, 2, default);
        var older = await _store.FindTransactionsAsync(key.AccountId, new ActivityFilter(null, null), new PageCursor(newest[^1].CreatedAt, newest[^1].Id), 100, default);
        Assert.Equal(9, newest.Count + older.Count);
        // A charge is dated by its request, and these requests are dated ten minutes before the account's opening credit.
        Assert.Equal(TransactionType.Credit, newest[0].Type);
        Assert.Equal(all.Select(g => g.Id), newest.Skip(1).Concat(older).Select(t => t.GenerationId));
        Assert.Empty(await _store.FindGenerationsAsync(Ids.NewAccountId(), new ActivityFilter(null, null), null, 10, default));
    }

    [StoreFact]
    public async Task The_operator_finds_accounts_by_id_name_or_login_email()
    {
        var plain = await AccountAsync("Plain Customer");
        var withLogin = Login(Ids.NewAccountId(), "Someone@Example.com");
        await _store.CreateAccountWithLoginAsync("signed-up", 0, withLogin, default);

        Assert.Equal(plain.AccountId, Assert.Single(await _store.ListAccountsAsync("plain cust", 0, 10, default)).Id);
        Assert.Equal(plain.AccountId, Assert.Single(await _store.ListAccountsAsync(plain.AccountId.ToUpperInvariant(), 0, 10, default)).Id);
        var found = Assert.Single(await _store.ListAccountsAsync("someone@", 0, 10, default));
        Assert.Equal((withLogin.AccountId, "Someone@Example.com"), (found.Id, found.LoginEmail));
        var all = await _store.ListAccountsAsync(null, 0, 10, default);
        Assert.Equal(new[] { plain.AccountId, withLogin.AccountId }.Order(), all.Select(a => a.Id).Order());
        Assert.Single(await _store.ListAccountsAsync(null, 1, 10, default));
    }
}
