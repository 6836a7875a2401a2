using System.Data.Common;
using ARouter.Storage;

namespace ARouter.Tests.Storage;

/// <summary>Brings a test database to an earlier schema by running the embedded migrations of a range, recorded as the migrator records them.</summary>
internal static class MigrationSteps
{
    /// <summary>The migrations from <paramref name="from"/> (or the first) up to, not including, <paramref name="before"/>.</summary>
    public static async Task ApplyAsync(DbConnection connection, string dialect, string? from, string before)
    {
        await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)");
        var assembly = typeof(Migrator).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith($"migrations/{dialect}/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var version = Path.GetFileNameWithoutExtension(name);
            if (string.CompareOrdinal(version, before) >= 0 || (from is not null && string.CompareOrdinal(version, from) < 0)) continue;
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            await ExecuteAsync(connection, await reader.ReadToEndAsync());
            await ExecuteAsync(connection, $"INSERT INTO schema_migrations (version, applied_at) VALUES ('{version}', 0)");
        }
    }

    public static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
