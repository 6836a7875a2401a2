using ARouter.Cli;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Cli;

[Collection(nameof(EnvironmentCollection))]
public sealed class SqliteCliTests() : CliTests(StoreEngine.Sqlite);

[Collection(nameof(EnvironmentCollection)), RunsOnPostgres]
public sealed class PostgresCliTests() : CliTests(StoreEngine.Postgres);

/// <summary>The CLI reads AROUTER_DATABASE from the environment, so these tests run one at a time.</summary>
public abstract class CliTests(StoreEngine engine) : IAsyncLifetime
{
    private readonly string? _previous = Environment.GetEnvironmentVariable("AROUTER_DATABASE");
    private TestDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(engine);
        Environment.SetEnvironmentVariable("AROUTER_DATABASE", _database.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable("AROUTER_DATABASE", _previous);
        await _database.DisposeAsync();
    }

    private static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var code = await CliApp.RunAsync(args, output);
        return (code, output.ToString());
    }

    private static string Field(string output, string name)
        => output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith(name + " ", StringComparison.Ordinal))[name.Length..].Trim();

    [StoreFact]
    public async Task Accounts_create_prints_the_account_and_a_fresh_key_once()
    {
        var (code, output) = await RunAsync("accounts", "create", "--name", "me", "--credits", "5");
        Assert.Equal(0, code);
        Assert.StartsWith("acct_", Field(output, "account"));
        var key = Field(output, "key");
        Assert.StartsWith("lr_live_", key);
        Assert.True(key.Length >= "lr_live_".Length + 32);
        Assert.Equal("5 USD", Field(output, "balance"));
        if (_database.SqlitePath is { } path) Assert.True(File.Exists(path), "the SQLite file is created on first use");
    }

    [StoreFact]
    public async Task Credits_add_and_keys_create_work_on_an_existing_account()
    {
        var account = Field((await RunAsync("accounts", "create", "--name", "me", "--credits", "1.25")).Output, "account");

        var (creditCode, creditOutput) = await RunAsync("credits", "add", "--account", account, "--amount", "2.5");
        Assert.Equal(0, creditCode);
        Assert.Equal("3.75 USD", Field(creditOutput, "balance"));

        var (keyCode, keyOutput) = await RunAsync("keys", "create", "--account", account, "--name", "ci");
        Assert.Equal(0, keyCode);
        Assert.StartsWith("lr_live_", Field(keyOutput, "key"));
    }

    [StoreFact]
    public async Task Keys_list_update_and_delete_manage_limits_and_state()
    {
        var account = Field((await RunAsync("accounts", "create", "--name", "me", "--credits", "5")).Output, "account");
        var (created, createOutput) = await RunAsync("keys", "create", "--account", account, "--name", "ci", "--limit", "2.5", "--rate-limit", "30/60");
        Assert.Equal(0, created);
        var id = Field(createOutput, "key_id");

        var (_, list) = await RunAsync("keys", "list", "--account", account);
        var row = list.Split('\n').Single(l => l.StartsWith(id));
        Assert.Contains("2.5", row);
        Assert.Contains("30/60s", row);
        Assert.Contains("active", row);
        Assert.DoesNotContain(Field(createOutput, "key"), list);

        Assert.Equal(0, (await RunAsync("keys", "update", "--account", account, "--id", id, "--disable", "--limit", "none", "--rate-limit", "default")).Code);
        row = (await RunAsync("keys", "list", "--account", account)).Output.Split('\n').Single(l => l.StartsWith(id));
        Assert.Contains("disabled", row);
        Assert.Contains("none", row);
        Assert.Contains("default", row);

        Assert.Equal(2, (await RunAsync("keys", "update", "--account", account, "--id", id, "--rate-limit", "lots")).Code);
        Assert.Equal(0, (await RunAsync("keys", "delete", "--account", account, "--id", id)).Code);
        Assert.DoesNotContain(id, (await RunAsync("keys", "list", "--account", account)).Output);
        Assert.Equal(1, (await RunAsync("keys", "delete", "--account", account, "--id", id)).Code);
    }

    [StoreFact]
    public async Task A_key_disabled_from_the_CLI_is_refused_by_a_running_gateway_within_seconds()
    {
        await using var gateway = await GatewayHost.StartAsync(database: _database);
        var account = await gateway.CreateAccountAsync(1);
        var (_, createOutput) = await RunAsync("keys", "create", "--account", account.Id, "--name", "cli");
        var key = Field(createOutput, "key");
        Assert.Equal(200, (await gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", key)).Status);

        Assert.Equal(0, (await RunAsync("keys", "update", "--account", account.Id, "--id", Field(createOutput, "key_id"), "--disable")).Code);

        var refused = false;
        for (var i = 0; i < 50 && !refused; i++)
        {
            refused = (await gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", key)).Status == 401;
            if (!refused) await Task.Delay(100);
        }
        Assert.True(refused, "the gateway still accepted the key 5 s after the CLI disabled it");
    }

    [StoreFact]
    public async Task Credits_add_to_an_unknown_account_fails_cleanly()
    {
        var (code, _) = await RunAsync("credits", "add", "--account", "acct_nope", "--amount", "1");
        Assert.Equal(1, code);
    }

    [StoreFact]
    public async Task Models_prints_the_catalog()
    {
        var (code, output) = await RunAsync("models");
        Assert.Equal(0, code);
        foreach (var id in (string[])["openai/gpt-5.4", "anthropic/claude-sonnet-4.6", "google/gemini-2.5-flash", "deepseek/deepseek-v3.2"])
            Assert.Contains(id, output);
    }

    [StoreTheory]
    [InlineData("accounts", "create")]
    [InlineData("credits", "add")]
    [InlineData("keys", "create")]
    [InlineData("models")]
    [InlineData("serve")]
    [InlineData("keys", "list")]
    [InlineData("keys", "update")]
    [InlineData("keys", "delete")]
    public async Task Every_command_has_help(params string[] command)
    {
        var output = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.Equal(0, await CliApp.RunAsync([.. command, "--help"], output));
        }
        finally
        {
            Console.SetOut(previous);
        }
        Assert.Contains("Usage", output.ToString());
    }
}

/// <summary><c>serve --port</c>: the shorthand people reach for first, checked before anything starts.</summary>
public sealed class ServePortTests
{
    [Theory]
    [InlineData("--port", "70000")]
    [InlineData("--port", "-1")]
    [InlineData("--port", "8081", "--urls", "http://127.0.0.1:8082")]
    public async Task A_port_that_is_no_port_or_a_port_with_urls_is_refused_before_serving(params string[] options)
    {
        var errors = new StringWriter();
        var previous = Console.Error;
        Console.SetError(errors);
        int code;
        try
        {
            code = await CliApp.RunAsync(["serve", .. options]);
        }
        finally
        {
            Console.SetError(previous);
        }
        Assert.NotEqual(0, code);
        Assert.Matches("is not a port|not both", errors.ToString());
    }

    [Fact]
    public async Task Serve_with_a_port_listens_on_it_at_the_loopback_address()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var directory = Path.Combine(Path.GetTempPath(), $"arouter-port-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            await using var gateway = await GatewayProcess.StartAsync(Path.Combine(directory, "gateway.db"), new Dictionary<string, string?>(), ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.Equal(new Uri($"http://127.0.0.1:{port}"), gateway.BaseAddress);
            using var health = await gateway.Client.GetAsync("/health");
            Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

[CollectionDefinition(nameof(EnvironmentCollection), DisableParallelization = true)]
public sealed class EnvironmentCollection;

/// <summary>A bare path is what people type for a SQLite file; it must not be rejected as a malformed connection string.</summary>
[Collection(nameof(EnvironmentCollection))]
public sealed class BareDatabasePathCliTests
{
    [Fact]
    public async Task A_bare_file_path_in_AROUTER_DATABASE_is_taken_as_the_SQLite_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"arouter-bare-{Guid.NewGuid():N}", "gateway.db");
        var previous = Environment.GetEnvironmentVariable("AROUTER_DATABASE");
        Environment.SetEnvironmentVariable("AROUTER_DATABASE", path);
        try
        {
            var output = new StringWriter();
            var code = await CliApp.RunAsync(["accounts", "create", "--name", "bare", "--credits", "1"], output);
            Assert.Equal(0, code);
            Assert.Contains("acct_", output.ToString());
            Assert.True(File.Exists(path), "the path names the SQLite file itself");
        }
        finally
        {
            Environment.SetEnvironmentVariable("AROUTER_DATABASE", previous);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
