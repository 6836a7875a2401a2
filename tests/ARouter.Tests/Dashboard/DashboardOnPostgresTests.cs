using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Dashboard;

/// <summary>The dashboard on a PostgreSQL gateway: sign-up, a key, a request, and the activity and balance it leaves.</summary>
[RunsOnPostgres]
public sealed class DashboardOnPostgresTests
{
    [StoreFact]
    public async Task Sign_up_key_request_activity_and_balance_work_on_postgres()
    {
        await using var fakes = await FakeProviders.StartAsync();
        await using var gateway = await GatewayHost.StartAsync(fakes.GatewayConfiguration(), StoreEngine.Postgres);
        using var client = await PageClient.SignUpAsync(gateway);
        var accountId = (await client.GetAsync("/")).Html.QuerySelectorAll("code").Select(c => c.TextContent).First(t => t.StartsWith("acct_", StringComparison.Ordinal));
        await gateway.CreditAsync(accountId, 2m);
        var (keyId, secret, _) = await DashboardFixture.CreateKeyAsync(client, "pg-app");

        var (status, _) = await gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", secret, GatewayWithFakes.ChatBody("deepseek/deepseek-chat"));
        Assert.Equal(200, status);
        var balance = await gateway.BalanceAsync(secret);
        Assert.True(balance < 2m);

        var overview = await client.GetAsync("/");
        Assert.Equal("$" + balance.ToString("0.00#######", System.Globalization.CultureInfo.InvariantCulture), overview.Html.QuerySelector("#balance")!.TextContent);
        Assert.Equal("1", overview.Html.QuerySelector("#requests-30")!.TextContent);
        Assert.Single((await client.GetAsync($"/activity?key={keyId}")).Html.QuerySelectorAll("#generations tbody tr"));

        using var operatorClient = new PageClient(gateway.BaseAddress);
        Assert.Equal(302, (await operatorClient.SubmitAsync("/admin/signin", "/admin/signin", new() { ["token"] = GatewayHost.AdminToken })).Status);
        Assert.Contains(accountId, (await operatorClient.GetAsync("/admin/accounts")).Html.QuerySelector("#accounts")!.TextContent);
    }
}
