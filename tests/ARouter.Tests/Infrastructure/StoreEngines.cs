using System.Text;
using System.Text.RegularExpressions;
using ARouter.Storage;
using ARouter.Storage.Postgres;
using ARouter.Storage.Sqlite;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace ARouter.Tests.Infrastructure;

/// <summary>The database engines the storage, billing and key tests run against.</summary>
public enum StoreEngine { Sqlite, Postgres }

/// <summary>
/// A fresh, empty database on one engine: a SQLite file in its own temp folder, or a new database on
/// the shared <see cref="PostgresCluster"/>. Dropped when disposed.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? _folder;
    private readonly string? _postgresName;
    private readonly PostgresCluster? _cluster;

    private TestDatabase(StoreEngine engine, string connectionString, string? folder, PostgresCluster? cluster, string? postgresName)
    {
        Engine = engine;
        ConnectionString = connectionString;
        _folder = folder;
        _cluster = cluster;
        _postgresName = postgresName;
    }

    /// <summary>The AROUTER_SECRETS_KEY every gateway on a shared PostgreSQL test database is given.</summary>
    public static readonly string SecretsKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public StoreEngine Engine { get; }

    /// <summary>What AROUTER_DATABASE would say for this database.</summary>
    public string ConnectionString { get; }

    /// <summary>The SQLite file; null on PostgreSQL.</summary>
    public string? SqlitePath => _folder is null ? null : Path.Combine(_folder, "arouter.db");

    public static async Task<TestDatabase> CreateAsync(StoreEngine engine)
    {
        if (engine == StoreEngine.Sqlite)
        {
            var folder = Path.Combine(Path.GetTempPath(), "arouter-tests", Guid.NewGuid().ToString("n"));
            Directory.CreateDirectory(folder);
            return new TestDatabase(engine, $"Data Source={Path.Combine(folder, "arouter.db")}", folder, null, null);
        }
        var cluster = await PostgresCluster.GetAsync();
        var name = await cluster.CreateDatabaseAsync();
        return new TestDatabase(engine, cluster.ConnectionString(name), null, cluster, name);
    }

    /// <summary>A new store over this database, as another process (a second instance, the CLI) would open it.</summary>
    public IStore OpenStore() => Engine == StoreEngine.Sqlite ? new SqliteStore(ConnectionString) : new PostgresStore(ConnectionString);

    public async Task<IStore> OpenMigratedAsync()
    {
        var store = OpenStore();
        await store.MigrateAsync(default);
        return store;
    }

    /// <summary>A connection of this engine's own, outside any pool (SQLite: waiting up to 30 s for another writer).</summary>
    public async Task<System.Data.Common.DbConnection> OpenConnectionAsync()
    {
        System.Data.Common.DbConnection connection = Engine == StoreEngine.Sqlite
            ? new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString) { Pooling = false, DefaultTimeout = 30 }.ToString())
            : new Npgsql.NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The first column of every row a query returns, as text.</summary>
    public async Task<List<string>> ReadColumnAsync(string sql)
    {
        await using var connection = await OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync()) values.Add(reader.GetValue(0).ToString()!);
        return values;
    }

    /// <summary>
    /// Every byte the database holds, as text, to prove a secret is not among them: SQLite's file and
    /// write-ahead log; PostgreSQL's pg_dump, with each bytea value decoded too (a dump shows it as hex).
    /// </summary>
    public async Task<string> ReadEverythingStoredAsync()
    {
        if (SqlitePath is { } path)
            return string.Join('\n', new[] { "", "-wal" }.Select(s => path + s).Where(File.Exists).Select(ReadShared));
        var dump = await _cluster!.DumpAsync(_postgresName!);
        var decoded = Regex.Matches(dump, @"\\x((?:[0-9a-f]{2})+)").Select(m => Encoding.Latin1.GetString(Convert.FromHexString(m.Groups[1].Value)));
        return dump + "\n" + string.Join('\n', decoded);
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Encoding.Latin1.GetString(copy.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null && _postgresName is not null) await _cluster.DropDatabaseAsync(_postgresName);
        if (_folder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>
/// Marks a test class whose tests run on PostgreSQL. Its <see cref="StoreFactAttribute"/> and
/// <see cref="StoreTheoryAttribute"/> tests are skipped with the reason on a machine without PostgreSQL
/// (and fail under CI=true instead), while the same tests in the SQLite class always run.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RunsOnPostgresAttribute : Attribute;

/// <summary>A fact of a test class that runs on every engine; see <see cref="RunsOnPostgresAttribute"/>.</summary>
[XunitTestCaseDiscoverer("ARouter.Tests.Infrastructure.StoreFactDiscoverer", "ARouter.Tests")]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>A theory of a test class that runs on every engine; see <see cref="RunsOnPostgresAttribute"/>.</summary>
[XunitTestCaseDiscoverer("ARouter.Tests.Infrastructure.StoreTheoryDiscoverer", "ARouter.Tests")]
public sealed class StoreTheoryAttribute : TheoryAttribute;

internal static class EngineSkip
{
    public static string? For(ITestMethod method) =>
        method.TestClass.Class.GetCustomAttributes(typeof(RunsOnPostgresAttribute)).Any() ? PostgresCluster.SkipReason : null;

    public static IXunitTestCase Skipped(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod method, string reason) =>
        new XunitSkippedDataRowTestCase(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method, reason);
}

public sealed class StoreFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    private readonly IMessageSink _sink = sink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo factAttribute) =>
        EngineSkip.For(method) is { } reason ? [EngineSkip.Skipped(_sink, options, method, reason)] : base.Discover(options, method, factAttribute);
}

public sealed class StoreTheoryDiscoverer(IMessageSink sink) : TheoryDiscoverer(sink)
{
    private readonly IMessageSink _sink = sink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo theoryAttribute) =>
        EngineSkip.For(method) is { } reason ? [EngineSkip.Skipped(_sink, options, method, reason)] : base.Discover(options, method, theoryAttribute);
}
