using ARouter.Storage.Postgres;
using ARouter.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace ARouter.Storage;

/// <summary>
/// Reads <c>AROUTER_DATABASE</c>: a value starting <c>Host=</c> is a PostgreSQL connection string,
/// anything else a SQLite one (default <see cref="DefaultDatabase"/>). A bare file path (no <c>=</c>), which is what
/// people type for SQLite, means <c>Data Source=</c> that path.
/// </summary>
public static class StoreSelector
{
    public const string DefaultDatabase = "Data Source=data/arouter.db";

    public static string ConnectionString(IConfiguration configuration)
    {
        var database = configuration["AROUTER_DATABASE"];
        if (string.IsNullOrWhiteSpace(database)) return DefaultDatabase;
        database = database.Trim();
        return database.Contains('=') ? database : "Data Source=" + database;
    }

    public static bool IsPostgres(string connectionString) => connectionString.StartsWith("Host=", StringComparison.OrdinalIgnoreCase);

    public static IStore Open(IConfiguration configuration)
    {
        var connectionString = ConnectionString(configuration);
        return IsPostgres(connectionString) ? new PostgresStore(connectionString) : new SqliteStore(connectionString);
    }

    /// <summary>
    /// The folder of the SQLite file, where a generated secrets key can live beside the data it protects;
    /// null for a PostgreSQL server, whose instances must all be given the same key.
    /// </summary>
    public static string? LocalDirectory(IConfiguration configuration)
    {
        var connectionString = ConnectionString(configuration);
        if (IsPostgres(connectionString)) return null;
        var dataSource = new SqliteConnectionStringBuilder(connectionString).DataSource;
        return Path.GetDirectoryName(Path.GetFullPath(dataSource)) ?? ".";
    }
}
