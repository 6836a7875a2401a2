using ARouter.Storage.Sqlite;
using Microsoft.Extensions.Configuration;

namespace ARouter.Cli;

/// <summary>What an administrative command needs: the same configuration and database the server uses.</summary>
internal static class CliContext
{
    public static IConfiguration Configuration() => new ConfigurationBuilder()
        .SetBasePath(AppContext.BaseDirectory)
        .AddJsonFile("appsettings.json", optional: true)
        .AddEnvironmentVariables()
        .Build();

    public static async Task<SqliteStore> OpenStoreAsync(CancellationToken ct)
    {
        var store = GatewayApp.OpenStore(Configuration());
        await store.MigrateAsync(ct);
        return store;
    }

    public static bool TryParseUsd(string text, out decimal amount)
        => decimal.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out amount);
}
