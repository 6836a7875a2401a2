namespace ARouter.Tests.Dashboard;

/// <summary>What a person does on the pages — keys, activity, models, BYOK, quick start, the operator's credits — and what the API then sees.</summary>
public sealed class DashboardPagesTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    [Fact]
    public async Task A_key_made_on_the_keys_page_is_shown_once_and_works_with_the_api_until_disabled_or_deleted()
    {
        var (client, accountId) = await fixture.SignUpAsync();
        await fixture.Gateway.CreditAsync(accountId, 2m);
        var (keyId, secret, created) = await DashboardFixture.CreateKeyAsync(client, "ci", new() { ["limit"] = "1.5", ["requests"] = "30", ["interval"] = "60", ["management"] = "true" });
        Assert.StartsWith("lr_live_", secret);
        Assert.Contains("only time it is shown", created.MainText);
        Assert.Contains("30 / 60 s", created.Html.QuerySelector($"#row-{keyId}")!.TextContent);
        Assert.Contains("$1.50", created.Html.QuerySelector($"#row-{keyId}")!.TextContent);

        var again = await client.GetAsync("/keys");
        Assert.DoesNotContain(secret, again.Text);
        Assert.Null(again.Html.QuerySelector("#new-secret"));

        // The same key through the API: limit, rate limit and management as set on the page.
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, $"/api/v1/keys/{keyId}", secret);
        Assert.Equal(200, status);
        Assert.Equal(1.5m, json.GetProperty("data").GetProperty("limit").GetDecimal());
        Assert.Equal(30, json.GetProperty("data").GetProperty("rate_limit").GetProperty("requests").GetInt32());

        Assert.Equal(302, (await client.SubmitAsync("/keys", $"handler=Disable&id={keyId}", new())).Status);
        Assert.Equal(401, (await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", secret)).Status);
        Assert.Contains("disabled", (await client.GetAsync("/keys")).Html.QuerySelector($"#row-{keyId}")!.TextContent);
        Assert.Equal(302, (await client.SubmitAsync("/keys", $"handler=Enable&id={keyId}", new())).Status);
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", secret)).Status);

        var confirm = await client.GetAsync($"/keys/{keyId}/delete");
        Assert.Contains("cannot be undone", confirm.MainText);
        var deleted = await client.SubmitAsync($"/keys/{keyId}/delete", $"/keys/{keyId}/delete", new());
        Assert.Equal(302, deleted.Status);
        Assert.Equal(401, (await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", secret)).Status);
        var after = await client.GetAsync(deleted.Location!);
        Assert.Contains("“ci” was deleted", after.MainText);
        Assert.Null(after.Html.QuerySelector($"#row-{keyId}"));
    }

    [Theory]
    [InlineData("", "", "", "", "Give the key a name")]
    [InlineData("x", "-1", "", "", "The limit must be zero or more")]
    [InlineData("x", "abc", "", "", "The limit must be an amount in USD")]
    [InlineData("x", "", "10", "", "Give both the number of requests and the interval")]
    [InlineData("x", "", "0", "60", "Requests must be a whole number from 1")]
    [InlineData("x", "", "10", "999999", "The interval must be a whole number from 1 to 86,400")]
    public async Task A_bad_key_form_says_what_is_wrong_and_creates_nothing(string name, string limit, string requests, string interval, string message)
    {
        var (client, _) = await fixture.SignUpAsync();
        var page = await client.SubmitAsync("/keys", "handler=Create", new() { ["name"] = name, ["limit"] = limit, ["requests"] = requests, ["interval"] = interval });
        Assert.Equal(400, page.Status);
        Assert.Contains(message, page.MainText);
        Assert.Contains("No keys yet", page.MainText);
    }

    [Fact]
    public async Task The_overview_and_activity_show_a_request_and_the_balance_it_took()
    {
        var (client, accountId) = await fixture.SignUpAsync();
        await fixture.Gateway.CreditAsync(accountId, 3m);
        var (keyId, secret, _) = await DashboardFixture.CreateKeyAsync(client, "app");
        var (_, otherSecret, _) = await DashboardFixture.CreateKeyAsync(client, "other");
        var before = await client.GetAsync("/");
        Assert.Equal("$3.00", before.Html.QuerySelector("#balance")!.TextContent);
        Assert.Contains("No requests in the last 30 days", before.MainText);

        var (status, chat) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", secret, GatewayWithFakes.ChatBody("deepseek/deepseek-chat"));
        Assert.Equal(200, status);
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", otherSecret, GatewayWithFakes.ChatBody("mistral/mistral-small-latest"))).Status);
        var cost = chat.GetProperty("usage").GetProperty("cost").GetDecimal();
        Assert.True(cost > 0);
        var balance = await fixture.Gateway.BalanceAsync(secret);

        var overview = await client.GetAsync("/");
        Assert.Equal("$" + balance.ToString("0.00#######", System.Globalization.CultureInfo.InvariantCulture), overview.Html.QuerySelector("#balance")!.TextContent);
        Assert.Equal("2", overview.Html.QuerySelector("#requests-30")!.TextContent);
        Assert.NotNull(overview.Html.QuerySelector("svg.chart rect.sw0"));
        Assert.Contains("deepseek/deepseek-chat", overview.Html.QuerySelector(".legend")!.TextContent);

        var activity = await client.GetAsync("/activity");
        Assert.Equal(2, activity.Html.QuerySelectorAll("#generations tbody tr").Length);
        var filtered = await client.GetAsync($"/activity?key={keyId}");
        var row = Assert.Single(filtered.Html.QuerySelectorAll("#generations tbody tr"));
        Assert.Contains("deepseek/deepseek-chat", row.TextContent);
        Assert.Contains("$" + cost.ToString("0.00#######", System.Globalization.CultureInfo.InvariantCulture), row.TextContent);
        Assert.Single((await client.GetAsync("/activity?model=mistral%2Fmistral-small-latest")).Html.QuerySelectorAll("#generations tbody tr"));

        var transactions = await client.GetAsync("/activity?view=transactions");
        var rows = transactions.Html.QuerySelectorAll("#transactions tbody tr");
        Assert.Equal(3, rows.Length);
        Assert.Contains("credit", rows[^1].TextContent);
        Assert.Contains("charge", rows[0].TextContent);
        // Metadata only: the fake provider's reply text is nowhere on the page.
        Assert.DoesNotContain("Hello", activity.MainText);
    }

    [Fact]
    public async Task Activity_pages_through_older_requests()
    {
        var (client, accountId) = await fixture.SignUpAsync();
        await fixture.Gateway.CreditAsync(accountId, 5m);
        var (_, secret, _) = await DashboardFixture.CreateKeyAsync(client, "pager");
        for (var i = 0; i < Pages.ActivityPageSize + 3; i++)
            Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", secret, GatewayWithFakes.ChatBody("deepseek/deepseek-chat"))).Status);

        var first = await client.GetAsync("/activity");
        Assert.Equal(Pages.ActivityPageSize, first.Html.QuerySelectorAll("#generations tbody tr").Length);
        var older = first.Html.QuerySelector("a[rel=next]")!.GetAttribute("href")!;
        var second = await client.GetAsync(older);
        Assert.Equal(3, second.Html.QuerySelectorAll("#generations tbody tr").Length);
        Assert.Null(second.Html.QuerySelector("a[rel=next]"));
        var firstTitles = first.Html.QuerySelectorAll("#generations td span[title]").Select(s => s.GetAttribute("title")).ToHashSet();
        Assert.DoesNotContain(second.Html.QuerySelectorAll("#generations td span[title]").Select(s => s.GetAttribute("title")), firstTitles.Contains);
    }

    [Fact]
    public async Task Models_lists_the_catalog_per_million_tokens_and_searches_it()
    {
        var (client, _) = await fixture.SignUpAsync();
        var all = await client.GetAsync("/models");
        Assert.Equal(GatewayWithFakes.Catalog.Models.Count, all.Html.QuerySelectorAll("#models tbody tr").Length);
        var model = GatewayWithFakes.Catalog.FindModel("deepseek/deepseek-chat")!;
        var row = all.Html.QuerySelectorAll("#models tbody tr").Single(r => r.QuerySelector("code")!.TextContent == model.Id);
        Assert.Contains("$" + model.Price.Prompt.ToString("0.00####", System.Globalization.CultureInfo.InvariantCulture), row.TextContent);
        Assert.Contains("yes", row.TextContent);

        var claude = await client.GetAsync("/models?q=claude");
        var ids = claude.Html.QuerySelectorAll("#models tbody tr code").Select(c => c.TextContent).ToList();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.Contains("claude", id));
        Assert.All((await client.GetAsync("/models?q=vision")).Html.QuerySelectorAll("#models tbody tr"), r => Assert.Contains("vision", r.TextContent));
    }

    [Fact]
    public async Task A_stored_provider_key_is_never_shown_again_and_the_api_sees_it()
    {
        var (client, _) = await fixture.SignUpAsync();
        var stored = await client.SubmitAsync("/byok", "handler=Store", new() { ["provider"] = "groq", ["key"] = "gsk_my-own-groq-key-123" });
        Assert.Equal(302, stored.Status);
        var page = await client.GetAsync(stored.Location!);
        Assert.Contains("groq", page.Html.QuerySelector("#provider-keys")!.TextContent);
        Assert.DoesNotContain("gsk_my-own-groq-key-123", page.Text);

        var (_, managementSecret, _) = await DashboardFixture.CreateKeyAsync(client, "mgmt", new() { ["management"] = "true" });
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/provider-keys", managementSecret);
        Assert.Equal(200, status);
        Assert.Equal("groq", json.GetProperty("data")[0].GetProperty("provider").GetString());

        Assert.Equal(400, (await client.SubmitAsync("/byok", "handler=Store", new() { ["provider"] = "nope", ["key"] = "k" })).Status);
        Assert.Equal(302, (await client.SubmitAsync("/byok", "handler=Remove", new() { ["provider"] = "groq" })).Status);
        Assert.Null((await client.GetAsync("/byok")).Html.QuerySelector("#provider-keys"));
    }

    [Fact]
    public async Task The_quick_start_shows_this_gateways_base_url_in_every_snippet()
    {
        var (client, _) = await fixture.SignUpAsync();
        var page = await client.GetAsync("/quickstart");
        var baseUrl = fixture.Gateway.BaseAddress.ToString().TrimEnd('/');
        Assert.Equal(baseUrl + "/v1", page.Html.QuerySelector("#base-url")!.TextContent);
        foreach (var id in new[] { "curl", "openai-python", "openai-node", "anthropic-python", "gemini-python" })
            Assert.Contains(baseUrl, page.Html.QuerySelector($"#{id}-code")!.TextContent);
        Assert.Contains("base_url=\"" + baseUrl + "/v1\"", page.Html.QuerySelector("#openai-python-code")!.TextContent);
    }

    [Fact]
    public async Task The_operator_signs_in_with_the_admin_token_and_adds_credit_that_the_api_sees()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1, name: "customer-" + Guid.NewGuid().ToString("n")[..8]);
        using var operatorClient = new PageClient(fixture.Gateway.BaseAddress);
        var wrong = await operatorClient.SubmitAsync("/admin/signin", "/admin/signin", new() { ["token"] = "not-the-token" });
        Assert.Equal(401, wrong.Status);
        var signedIn = await operatorClient.SubmitAsync("/admin/signin", "/admin/signin", new() { ["token"] = GatewayHost.AdminToken });
        Assert.Equal(302, signedIn.Status);

        var list = await operatorClient.GetAsync("/admin/accounts?q=" + account.Id);
        Assert.Contains(account.Id, list.Html.QuerySelector("#accounts")!.TextContent);
        var credited = await operatorClient.SubmitAsync("/admin/accounts?q=" + account.Id, "handler=Credit", new() { ["amount"] = "2.25", ["description"] = "welcome" });
        Assert.Equal(302, credited.Status);
        Assert.Equal(3.25m, await fixture.Gateway.BalanceAsync(account.Key));
        Assert.Equal(400, (await operatorClient.SubmitAsync("/admin/accounts?q=" + account.Id, "handler=Credit", new() { ["amount"] = "-1" })).Status);
        Assert.Equal(3.25m, await fixture.Gateway.BalanceAsync(account.Key));

        // The operator has no account of its own: account pages are not theirs.
        Assert.Contains("/denied", (await operatorClient.GetAsync("/keys")).Location);
    }

    [Fact]
    public async Task The_stylesheet_and_script_are_served_from_the_binary()
    {
        using var anonymous = new PageClient(fixture.Gateway.BaseAddress);
        var signin = await anonymous.GetAsync("/signin");
        foreach (var href in signin.Html.QuerySelectorAll("link[rel=stylesheet], script[src]").Select(e => e.GetAttribute("href") ?? e.GetAttribute("src")))
        {
            Assert.StartsWith("/assets/", href);
            var asset = await anonymous.GetAsync(href!);
            Assert.Equal(200, asset.Status);
            Assert.True(asset.Text.Length > 100);
            Assert.Contains("immutable", asset.Response.Headers.CacheControl!.ToString());
        }
        Assert.Equal(404, (await anonymous.GetAsync("/assets/nope.css")).Status);
    }
}

internal static class Pages
{
    public const int ActivityPageSize = ARouter.Dashboard.Pages.ActivityModel.PageSize;
}
