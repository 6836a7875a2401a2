using System.Text.Json;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Scaling;

/// <summary>
/// Two gateway instances in one test process on one database and one real redis-server, as two instances
/// behind a load balancer. The catalog adds flat-rate models whose prompt is free, so a request's worst
/// case and its real cost are both exactly <see cref="FlatCost"/> when the fake reports <see cref="FlatMaxTokens"/>
/// completion tokens: how many requests a balance affords is then a number, not a range.
/// </summary>
public abstract class TwoGateways : IAsyncLifetime
{
    public const string FlatModel = "deepseek/flat-rate";
    public const string SlowFlatModel = "mistral/flat-rate";
    public const int FlatMaxTokens = 100;
    /// <summary>100 completion tokens at 1000 USD per million.</summary>
    public const decimal FlatCost = 0.1m;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arouter-tests", "scale-" + Guid.NewGuid().ToString("n"));

    public TestDatabase Database { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public FakeProviders Fakes { get; private set; } = null!;
    public GatewayHost A { get; private set; } = null!;
    public GatewayHost B { get; private set; } = null!;
    public string CatalogPath => Path.Combine(_directory, "catalog.json");

    protected virtual int LeaseSeconds => 30;

    /// <summary>
    /// Above the default 1 s: with the whole suite starting at once on 2 cores, Redis round trips took over 1 s and a few
    /// of 40 concurrent requests failed closed (503) where the test expected the key's limit (402).
    /// </summary>
    public static readonly TimeSpan RedisOperationTimeout = TimeSpan.FromSeconds(2);
    protected virtual StoreEngine Engine => StoreEngine.Sqlite;

    private bool CanRun => RedisServer.Binary is not null && (Engine == StoreEngine.Sqlite || PostgresCluster.InitDb is not null);

    /// <summary>What both instances (and a child process) are configured with, as an operator would set it.</summary>
    public Dictionary<string, string?> Configuration() => new(Fakes.GatewayConfiguration())
    {
        ["AROUTER_DATABASE"] = Database.ConnectionString,
        ["AROUTER_SECRETS_KEY"] = TestDatabase.SecretsKey,
        ["AROUTER_REDIS"] = Redis.Configuration,
        ["AROUTER_CATALOG"] = CatalogPath,
        ["ARouter:Redis:ReservationLeaseSeconds"] = LeaseSeconds.ToString(),
        ["ARouter:Redis:OperationTimeoutMs"] = ((int)RedisOperationTimeout.TotalMilliseconds).ToString(),
    };

    public async Task InitializeAsync()
    {
        // Without redis-server (or PostgreSQL) the tests are skipped (locally) or fail on their own (CI): start nothing.
        if (!CanRun) return;
        Directory.CreateDirectory(_directory);
        Database = await TestDatabase.CreateAsync(Engine);
        await File.WriteAllTextAsync(CatalogPath, FlatCatalog());
        Redis = await RedisServer.StartAsync();
        Fakes = await FakeProviders.StartAsync();
        Fakes.Script("deepseek", FakeScript.Default with { CompletionTokens = FlatMaxTokens });
        A = await GatewayHost.StartAsync(Configuration(), database: Database);
        B = await GatewayHost.StartAsync(Configuration(), database: Database);
    }

    public async Task DisposeAsync()
    {
        if (!CanRun) return;
        await A.DisposeAsync();
        await B.DisposeAsync();
        await Fakes.DisposeAsync();
        await Redis.DisposeAsync();
        await Database.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    public static string FlatBody(string model = FlatModel, int maxTokens = FlatMaxTokens)
        => GatewayWithFakes.ChatBody(model, maxTokens: maxTokens);

    /// <summary>The account's transactions as the API lists them (every page).</summary>
    public static async Task<List<JsonElement>> TransactionsAsync(GatewayHost gateway, string key)
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var (status, json) = await gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/transactions?limit=100" + (cursor is null ? "" : "&cursor=" + cursor), key);
            Assert.Equal(200, status);
            all.AddRange(json.GetProperty("data").EnumerateArray());
            cursor = json.TryGetProperty("next_cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        } while (cursor is not null);
        return all;
    }

    /// <summary>Waits for what another instance or a reconnect makes true soon, with room for a loaded machine.</summary>
    public static async Task Eventually(Func<Task<bool>> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the condition did not hold within 20 s");
            await Task.Delay(100);
        }
    }

    private static string FlatCatalog()
    {
        static object Model(string id, string provider) => new Dictionary<string, object?>
        {
            ["id"] = id, ["provider"] = provider, ["upstream_id"] = "flat-rate", ["name"] = "Flat rate (tests)", ["kind"] = "chat",
            ["context_length"] = 100_000, ["max_output_tokens"] = 10_000,
            ["price_per_mtok"] = new Dictionary<string, object?> { ["prompt"] = 0, ["completion"] = 1000, ["cache_read"] = null, ["cache_write"] = null, ["reasoning"] = null },
            ["capabilities"] = new Dictionary<string, bool> { ["vision"] = false, ["tools"] = true, ["pdf"] = false, ["embeddings"] = false, ["reasoning"] = false },
        };
        return JsonSerializer.Serialize(new { providers = Array.Empty<object>(), models = new[] { Model(FlatModel, "deepseek"), Model(SlowFlatModel, "mistral") } });
    }
}

public sealed class TwoGatewaysOnSqlite : TwoGateways;

public sealed class TwoGatewaysOnPostgres : TwoGateways
{
    protected override StoreEngine Engine => StoreEngine.Postgres;
}
