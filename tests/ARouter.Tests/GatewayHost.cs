using System.Net.Http.Json;
using System.Text.Json;
using ARouter.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ARouter.Tests;

/// <summary>
/// A real gateway on a loopback port with its own database (a SQLite file, or a fresh PostgreSQL database),
/// configured the way an operator would, so tests drive it over HTTP exactly as users' SDKs do.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    public const string AdminToken = "admin-token-for-tests-0123456789";

    private readonly WebApplication _app;
    private readonly TestDatabase? _ownDatabase;
    private int _stopped;

    private GatewayHost(WebApplication app, TestDatabase database, bool ownsDatabase, Uri baseAddress, CapturedLogs logs)
    {
        _app = app;
        Database = database;
        _ownDatabase = ownsDatabase ? database : null;
        BaseAddress = baseAddress;
        Logs = logs;
        // A response the test stops reading closes its connection, as when a real client goes away,
        // instead of being drained quietly for connection reuse.
        Client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    public CapturedLogs Logs { get; }
    public IServiceProvider Services => _app.Services;
    public TestDatabase Database { get; }
    /// <summary>The SQLite file (tests that read the raw bytes for leaked secrets); SQLite only.</summary>
    public string DatabasePath => Database.SqlitePath ?? throw new InvalidOperationException("This gateway runs on PostgreSQL.");

    /// <param name="database">A database another gateway already uses (several instances, one database); by default a fresh one on <paramref name="engine"/>, dropped with the host.</param>
    /// <param name="configure">Runs last on the builder, e.g. to add a test's own telemetry exporter.</param>
    public static async Task<GatewayHost> StartAsync(IReadOnlyDictionary<string, string?>? configuration = null, StoreEngine engine = StoreEngine.Sqlite, TestDatabase? database = null,
        Action<WebApplicationBuilder>? configure = null)
    {
        var ownsDatabase = database is null;
        database ??= await TestDatabase.CreateAsync(engine);
        var settings = new Dictionary<string, string?>
        {
            ["AROUTER_DATABASE"] = database.ConnectionString,
            ["AROUTER_ADMIN_TOKEN"] = AdminToken,
            ["urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft"] = "Warning",
        };
        // On PostgreSQL every instance must be given the secrets key (there is no shared folder for a generated one).
        if (database.Engine == StoreEngine.Postgres) settings["AROUTER_SECRETS_KEY"] = TestDatabase.SecretsKey;
        foreach (var (key, value) in configuration ?? new Dictionary<string, string?>()) settings[key] = value;

        var logs = new CapturedLogs();
        var app = GatewayApp.Build([], settings, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
            configure?.Invoke(builder);
        });
        try
        {
            await GatewayApp.PrepareAsync(app);
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            if (ownsDatabase) await database.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayHost(app, database, ownsDatabase, new Uri(address), logs);
    }

    /// <summary>Creates an account through the admin API, as an operator would.</summary>
    public async Task<TestAccount> CreateAccountAsync(decimal credits, string name = "test")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/admin/accounts") { Content = JsonContent.Create(new { name, credits }) };
        request.Headers.Authorization = new("Bearer", AdminToken);
        using var response = await Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return new TestAccount(json.RootElement.GetProperty("id").GetString()!, json.RootElement.GetProperty("key").GetProperty("key").GetString()!);
    }

    /// <summary>Adds credit through the admin API, as an operator would.</summary>
    public async Task CreditAsync(string accountId, decimal amount)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/admin/accounts/{accountId}/credits") { Content = JsonContent.Create(new { amount }) };
        request.Headers.Authorization = new("Bearer", AdminToken);
        using var response = await Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    public HttpRequestMessage Request(HttpMethod method, string path, string key, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new("Bearer", key);
        if (body is string raw) request.Content = new StringContent(raw, System.Text.Encoding.UTF8, "application/json");
        else if (body is not null) request.Content = JsonContent.Create(body);
        return request;
    }

    public async Task<(int Status, JsonElement Json)> SendJsonAsync(HttpMethod method, string path, string key, object? body = null)
    {
        using var request = Request(method, path, key, body);
        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return ((int)response.StatusCode, document.RootElement.Clone());
    }

    public async Task<decimal> BalanceAsync(string key)
    {
        var (status, json) = await SendJsonAsync(HttpMethod.Get, "/api/v1/balance", key);
        Assert.Equal(200, status);
        return json.GetProperty("data").GetProperty("balance").GetDecimal();
    }

    /// <summary>Stops the gateway as SIGTERM does (drain, then stop), keeping its database for a later look.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0) await _app.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await StopAsync();
        await _app.DisposeAsync();
        if (_ownDatabase is not null) await _ownDatabase.DisposeAsync();
    }
}

public sealed record TestAccount(string Id, string Key);

/// <summary>Every log line the gateway wrote, to prove no secret or prompt text ever reaches one.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;
    public string All => string.Join('\n', _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose() { }

    private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
