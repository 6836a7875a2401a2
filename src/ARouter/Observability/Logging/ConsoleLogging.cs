using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ARouter.Observability.Logging;

internal static class ConsoleLogging
{
    /// <summary>Replaces the default console logger (one wake-up and one write per line) with the batched one.</summary>
    public static ILoggingBuilder UseBatchedConsole(this ILoggingBuilder logging)
    {
        for (var i = logging.Services.Count - 1; i >= 0; i--)
        {
            if (logging.Services[i] is { ServiceType: var service, ImplementationType: var implementation } && service == typeof(ILoggerProvider) && implementation == typeof(ConsoleLoggerProvider))
                logging.Services.RemoveAt(i);
        }
        logging.Services.AddSingleton<ILoggerProvider>(sp => new BatchedConsoleLoggerProvider(sp.GetRequiredService<IConfiguration>(), Console.OpenStandardOutput(), ConsoleLogOptions.Default));
        return logging;
    }
}
