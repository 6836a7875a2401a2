using ARouter.Storage;
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

    /// <summary>The database AROUTER_DATABASE names, migrated; the caller disposes it.</summary>
    public static async Task<IStore> OpenStoreAsync(CancellationToken ct)
    {
        var store = StoreSelector.Open(Configuration());
        try
        {
            await store.MigrateAsync(ct);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    public static bool TryParseUsd(string text, out decimal amount)
        => decimal.TryParse(text, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out amount);
}
