using System.Text;
using Microsoft.Data.Sqlite;

namespace ARouter.Tests.Dashboard;

/// <summary>Passwords, key secrets, provider keys and the admin token typed into the dashboard reach no log line and no database byte, even at Trace.</summary>
public sealed class DashboardPrivacyTests
{
    [Fact]
    public async Task Secrets_typed_into_pages_never_reach_a_log_line_or_the_database()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Mvc"] = "Trace",
        });
        const string password = "canary password 7Q4xZ";
        const string providerKey = "sk-canary-provider-key-9Lm2";
        var email = $"canary-{Guid.NewGuid():n}@example.com";

        using var client = await PageClient.SignUpAsyncWith(gateway, email, password);
        var created = await client.SubmitAsync("/keys", "handler=Create", new() { ["name"] = "canary" });
        var secret = created.Html.QuerySelector("#new-secret")!.TextContent.Trim();
        Assert.Equal(302, (await client.SubmitAsync("/byok", "handler=Store", new() { ["provider"] = "openai", ["key"] = providerKey })).Status);
        using (var again = new PageClient(gateway.BaseAddress))
        {
            Assert.Equal(401, (await again.SubmitAsync("/signin", "/signin", new() { ["email"] = email, ["password"] = password + "wrong" })).Status);
            Assert.Equal(302, (await again.SubmitAsync("/signin", "/signin", new() { ["email"] = email, ["password"] = password })).Status);
        }
        using (var operatorClient = new PageClient(gateway.BaseAddress))
            Assert.Equal(302, (await operatorClient.SubmitAsync("/admin/signin", "/admin/signin", new() { ["token"] = GatewayHost.AdminToken })).Status);

        var logs = gateway.Logs.All;
        Assert.Contains(gateway.Logs.Lines, l => l.StartsWith("Trace Microsoft.AspNetCore.Mvc", StringComparison.Ordinal));
        foreach (var canary in new[] { password, providerKey, secret, GatewayHost.AdminToken })
            Assert.DoesNotContain(canary, logs);

        SqliteConnection.ClearAllPools();
        var bytes = string.Concat(Directory.GetFiles(Path.GetDirectoryName(gateway.DatabasePath)!, "arouter.db*").Select(f =>
        {
            using var stream = new FileStream(f, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            return reader.ReadToEnd();
        }));
        Assert.Contains(email, bytes);
        foreach (var canary in new[] { password, providerKey, secret })
            Assert.DoesNotContain(canary, bytes);
    }
}
