using System.Data.Common;
using ARouter.Storage;

namespace ARouter.Tests.Storage;

/// <summary>Brings a test database to an earlier schema with the gateway's own migrator, stopped before a version.</summary>
internal static class MigrationSteps
{
    /// <summary>The migrations not yet applied, up to, not including, <paramref name="before"/>.</summary>
    public static Task ApplyAsync(DbConnection connection, string dialect, string before) =>
        Migrator.ApplyAsync(connection, dialect, lockStatement: null, CancellationToken.None, before);

    public static async Task ExecuteAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
