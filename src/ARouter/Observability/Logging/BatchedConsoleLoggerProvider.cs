using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using ZLogger;
using ZLogger.Formatters;

namespace ARouter.Observability.Logging;

/// <summary>
/// The gateway's stdout log, in place of the default console logger: the same line formats (<c>simple</c>, or
/// <c>json</c> with <c>Logging:Console:FormatterName</c>), written in batches by <see cref="BatchedLineWriter"/>
/// (<c>Logging:Console:FlushDelayMilliseconds</c> sets how long a batch waits for more lines, default 50).
/// ZLogger's loggers carry each entry to the writer without formatting it on the caller's thread (entries from
/// <c>[ZLoggerMessage]</c> methods are formatted to UTF-8 by the writer; others become their message string first).
/// The "Console" alias keeps <c>Logging:Console:LogLevel:*</c> filters working.
/// </summary>
[ProviderAlias("Console")]
internal sealed class BatchedConsoleLoggerProvider : ILoggerProvider
{
    private readonly BatchedLineWriter _writer;
    private readonly ZLoggerOptions _options = new() { IsFormatLogImmediatelyInStandardLog = true };

    public BatchedConsoleLoggerProvider(IConfiguration configuration, Stream output, ConsoleLogOptions options)
    {
        if (int.TryParse(configuration["Logging:Console:FlushDelayMilliseconds"], out var delay) && delay >= 0) options = options with { FlushDelay = TimeSpan.FromMilliseconds(delay) };
        _writer = new BatchedLineWriter(output, FormatterFor(configuration["Logging:Console:FormatterName"]), options);
        // A process that ends without disposing its host (Environment.Exit, an unhandled exception) still writes what is queued.
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public ILogger CreateLogger(string categoryName) => new ZLoggerLogger(categoryName, _writer, _options, null);

    private static IZLoggerFormatter FormatterFor(string? name) => string.Equals(name, "json", StringComparison.OrdinalIgnoreCase)
        ? new SystemTextJsonZLoggerFormatter
        {
            // The fields of the default JSON console formatter: EventId, LogLevel, Category, Message, State {fields}.
            IncludeProperties = IncludeProperties.EventIdValue | IncludeProperties.LogLevel | IncludeProperties.CategoryName | IncludeProperties.Message
                | IncludeProperties.Exception | IncludeProperties.ParameterKeyValues,
            PropertyKeyValuesObjectName = JsonEncodedText.Encode("State"),
        }
        : new SimpleLineFormatter();

    private void OnProcessExit(object? sender, EventArgs e) => _writer.Dispose();

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _writer.Dispose();
    }
}
