namespace ARouter.Tests.Dashboard;

/// <summary>A gateway with fake providers whose dashboard lets many test accounts sign up from 127.0.0.1.</summary>
public sealed class DashboardFixture : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:Dashboard:SignupsPerAddress"] = "1000",
        ["ARouter:Dashboard:FailuresPerAddress"] = "1000",
    };

    /// <summary>Signs up through the page and returns the client with its account id (from the overview page).</summary>
    public async Task<(PageClient Client, string AccountId)> SignUpAsync(string? email = null)
    {
        var client = await PageClient.SignUpAsync(Gateway, email);
        var overview = await client.GetAsync("/");
        Assert.Equal(200, overview.Status);
        var id = overview.Html.QuerySelectorAll("code").Select(c => c.TextContent).First(t => t.StartsWith("acct_", StringComparison.Ordinal));
        return (client, id);
    }

    /// <summary>Creates a key on the Keys page and returns its id and the secret shown once.</summary>
    public static async Task<(string Id, string Secret, PageResponse Page)> CreateKeyAsync(PageClient client, string name, Dictionary<string, string>? extra = null)
    {
        var fields = new Dictionary<string, string> { ["name"] = name };
        foreach (var (k, v) in extra ?? []) fields[k] = v;
        var page = await client.SubmitAsync("/keys", "handler=Create", fields);
        Assert.Equal(200, page.Status);
        var secret = page.Html.QuerySelector("#new-secret")!.TextContent.Trim();
        var row = page.Html.QuerySelectorAll("tbody tr").Single(r => r.QuerySelector("td")!.TextContent.Trim().StartsWith(name, StringComparison.Ordinal));
        return (row.Id!["row-".Length..], secret, page);
    }
}
