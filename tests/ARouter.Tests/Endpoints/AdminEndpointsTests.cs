using System.Net.Http.Json;
using System.Text.Json;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Endpoints;

public sealed class SqliteAdminEndpointsTests(GatewayWithFakes fixture) : AdminEndpointsTests(fixture), IClassFixture<GatewayWithFakes>;

[RunsOnPostgres]
public sealed class PostgresAdminEndpointsTests(PostgresGatewayWithFakes fixture) : AdminEndpointsTests(fixture), IClassFixture<PostgresGatewayWithFakes>;

/// <summary>The operator's API: accounts, first keys and credits, behind the admin token.</summary>
public abstract class AdminEndpointsTests(GatewayWithFakes fixture)
{
    private async Task<(int Status, JsonElement Json)> AdminAsync(HttpMethod method, string path, object? body, string? token = GatewayHost.AdminToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new("Bearer", token);
        if (body is string raw) request.Content = new StringContent(raw, System.Text.Encoding.UTF8, "application/json");
        else if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return ((int)response.StatusCode, json.RootElement.Clone());
    }

    [StoreFact]
    public async Task Creating_an_account_returns_its_id_balance_and_a_working_first_key_once()
    {
        var (status, json) = await AdminAsync(HttpMethod.Post, "/api/v1/admin/accounts", new { name = "acme", credits = 12.5m });

        Assert.Equal(201, status);
        var id = json.GetProperty("id").GetString()!;
        Assert.Equal("acme", json.GetProperty("name").GetString());
        Assert.Equal(12.5m, json.GetProperty("balance").GetDecimal());
        var key = json.GetProperty("key").GetProperty("key").GetString()!;
        Assert.StartsWith("lr_live_", key);
        Assert.True(key.Length >= "lr_live_".Length + 32);
        Assert.StartsWith(json.GetProperty("key").GetProperty("prefix").GetString()!.TrimEnd('…'), key);
        Assert.Equal(12.5m, await fixture.Gateway.BalanceAsync(key));

        var (getStatus, account) = await AdminAsync(HttpMethod.Get, "/api/v1/admin/accounts/" + id, null);
        Assert.Equal(200, getStatus);
        Assert.Equal(12.5m, account.GetProperty("balance").GetDecimal());
        Assert.DoesNotContain(key, account.GetRawText());
    }

    [StoreFact]
    public async Task Credits_added_by_the_operator_show_in_the_balance_and_the_transactions()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);

        var (status, json) = await AdminAsync(HttpMethod.Post, $"/api/v1/admin/accounts/{account.Id}/credits", new { amount = 2.000000001m, description = "top-up" });

        Assert.Equal(200, status);
        Assert.Equal(3.000000001m, json.GetProperty("balance").GetDecimal());
        Assert.Equal(3.000000001m, await fixture.Gateway.BalanceAsync(account.Key));
        var (_, transactions) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/transactions", account.Key);
        var newest = transactions.GetProperty("data")[0];
        Assert.Equal("credit", newest.GetProperty("type").GetString());
        Assert.Equal(2.000000001m, newest.GetProperty("amount").GetDecimal());
        Assert.Equal(3.000000001m, newest.GetProperty("balance_after").GetDecimal());
    }

    public static TheoryData<string, string> BadCredits => new()
    {
        { "{\"amount\": -1}", "amount" },
        { "{\"amount\": 0}", "amount" },
        { "{\"amount\": \"ten\"}", "amount" },
        { "{}", "amount" },
        { "{\"amount\": 0.0000000001}", "nano" },
        { "{\"amount\": 99999999}", "at most" },
        { "not json", "JSON" },
    };

    [StoreTheory]
    [MemberData(nameof(BadCredits))]
    public async Task Bad_credit_amounts_are_400_and_change_nothing(string body, string mentions)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);

        var (status, json) = await AdminAsync(HttpMethod.Post, $"/api/v1/admin/accounts/{account.Id}/credits", body);

        Assert.Equal(400, status);
        Assert.Contains(mentions, json.GetProperty("error").GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [StoreFact]
    public async Task An_unknown_account_is_404()
    {
        var (credit, _) = await AdminAsync(HttpMethod.Post, "/api/v1/admin/accounts/acct_missing/credits", new { amount = 1 });
        var (get, _) = await AdminAsync(HttpMethod.Get, "/api/v1/admin/accounts/acct_missing", null);
        Assert.Equal(404, credit);
        Assert.Equal(404, get);
    }

    [StoreTheory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Without_the_admin_token_nothing_is_created(string? token)
    {
        var (status, json) = await AdminAsync(HttpMethod.Post, "/api/v1/admin/accounts", new { name = "mallory", credits = 1000 }, token);
        Assert.Equal(401, status);
        Assert.Contains("admin token", json.GetProperty("error").GetProperty("message").GetString());
    }

    [StoreFact]
    public async Task An_account_key_is_not_an_admin_token()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var (status, _) = await AdminAsync(HttpMethod.Post, $"/api/v1/admin/accounts/{account.Id}/credits", new { amount = 100 }, account.Key);
        Assert.Equal(401, status);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
