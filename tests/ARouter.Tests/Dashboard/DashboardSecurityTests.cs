using System.Net.Http.Headers;

namespace ARouter.Tests.Dashboard;

/// <summary>Who can see and change what: sessions, anti-forgery, ownership, and the wall between the dashboard's cookie and the API's keys.</summary>
public sealed class DashboardSecurityTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    [Theory]
    [InlineData("/")]
    [InlineData("/keys")]
    [InlineData("/activity")]
    [InlineData("/models")]
    [InlineData("/byok")]
    [InlineData("/quickstart")]
    public async Task Every_account_page_sends_a_visitor_without_a_session_to_sign_in(string path)
    {
        using var anonymous = new PageClient(fixture.Gateway.BaseAddress);
        var page = await anonymous.GetAsync(path);
        Assert.Equal(302, page.Status);
        Assert.StartsWith("/signin?returnUrl=", new Uri(page.Location!, UriKind.RelativeOrAbsolute).IsAbsoluteUri ? new Uri(page.Location!).PathAndQuery : page.Location);
    }

    [Fact]
    public async Task A_form_posted_without_the_anti_forgery_token_is_refused_and_changes_nothing()
    {
        var (client, _) = await fixture.SignUpAsync();
        var refused = await client.PostRawAsync("/keys?handler=Create", new() { ["name"] = "forged" });
        Assert.Equal(400, refused.Status);
        var forgedToken = await client.PostRawAsync("/keys?handler=Create", new() { ["name"] = "forged", ["__csrf"] = "not-a-token" });
        Assert.Equal(400, forgedToken.Status);

        var keys = await client.GetAsync("/keys");
        Assert.DoesNotContain("forged", keys.MainText);
        Assert.Contains("No keys yet", keys.MainText);
    }

    [Fact]
    public async Task One_accounts_token_does_not_work_in_another_accounts_session()
    {
        var (alice, _) = await fixture.SignUpAsync();
        var (bob, _) = await fixture.SignUpAsync();
        var aliceToken = await alice.TokenAsync();
        var refused = await bob.PostRawAsync("/keys?handler=Create", new() { ["name"] = "cross", ["__csrf"] = aliceToken });
        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public async Task An_account_cannot_see_disable_or_delete_another_accounts_key()
    {
        var (alice, _) = await fixture.SignUpAsync();
        var (bob, _) = await fixture.SignUpAsync();
        var (keyId, secret, created) = await DashboardFixture.CreateKeyAsync(alice, "alice-app");
        var prefix = created.Html.QuerySelector($"#row-{keyId} code")!.TextContent;

        var bobKeys = await bob.GetAsync("/keys");
        Assert.DoesNotContain(keyId, bobKeys.Text);
        Assert.DoesNotContain(prefix, bobKeys.Text);
        Assert.Equal(404, (await bob.GetAsync($"/keys/{keyId}/delete")).Status);

        var token = await bob.TokenAsync();
        Assert.Equal(404, (await bob.PostRawAsync($"/keys?handler=Disable&id={keyId}", new() { ["__csrf"] = token })).Status);
        Assert.Equal(404, (await bob.PostRawAsync($"/keys/{keyId}/delete", new() { ["__csrf"] = token })).Status);

        // Alice's key is untouched: still listed as active and still accepted by the API.
        var aliceKeys = await alice.GetAsync("/keys");
        Assert.Contains("active", aliceKeys.Html.QuerySelector($"#row-{keyId}")!.TextContent);
        var (status, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", secret);
        Assert.Equal(200, status);
    }

    [Fact]
    public async Task An_account_sees_only_its_own_activity_and_provider_keys()
    {
        var (alice, aliceId) = await fixture.SignUpAsync();
        var (bob, _) = await fixture.SignUpAsync();
        var (_, secret, _) = await DashboardFixture.CreateKeyAsync(alice, "alice-app");
        await fixture.Gateway.CreditAsync(aliceId, 1m);
        var (chat, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", secret, GatewayWithFakes.ChatBody("deepseek/deepseek-chat"));
        Assert.Equal(200, chat);
        Assert.Equal(302, (await alice.SubmitAsync("/byok", "handler=Store", new() { ["provider"] = "mistral", ["key"] = "mistral-secret-of-alice" })).Status);

        Assert.Contains("deepseek/deepseek-chat", (await alice.GetAsync("/activity")).MainText);
        Assert.NotNull((await alice.GetAsync("/byok")).Html.QuerySelector("#provider-keys"));

        var bobActivity = await bob.GetAsync("/activity?model=deepseek%2Fdeepseek-chat");
        Assert.Null(bobActivity.Html.QuerySelector("#generations"));
        Assert.Null((await bob.GetAsync("/activity?view=transactions")).Html.QuerySelector("#transactions"));
        Assert.Null((await bob.GetAsync("/byok")).Html.QuerySelector("#provider-keys"));
        // Removing a provider key Bob does not have is a 404, and Alice's stays.
        Assert.Equal(404, (await bob.PostRawAsync("/byok?handler=Remove", new() { ["provider"] = "mistral", ["__csrf"] = await bob.TokenAsync("/byok") })).Status);
        Assert.NotNull((await alice.GetAsync("/byok")).Html.QuerySelector("#provider-keys"));
    }

    [Fact]
    public async Task The_session_cookie_is_http_only_same_site_and_never_authenticates_the_api()
    {
        var client = new PageClient(fixture.Gateway.BaseAddress);
        var signup = await client.SubmitAsync("/signup", "/signup", new() { ["email"] = $"c-{Guid.NewGuid():n}@example.com", ["password"] = PageClient.Password });
        var setCookie = signup.Response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("arouter_session=", StringComparison.Ordinal));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", setCookie.Replace("samesite", "", StringComparison.OrdinalIgnoreCase), StringComparison.OrdinalIgnoreCase);

        // The browser's cookie sent to the API: still no key, so 401.
        var api = await client.GetAsync("/api/v1/balance");
        Assert.Equal(401, api.Status);
        var keys = await client.GetAsync("/api/v1/keys");
        Assert.Equal(401, keys.Status);
        client.Dispose();
    }

    [Fact]
    public async Task An_api_key_never_authenticates_a_dashboard_page()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        using var anonymous = new PageClient(fixture.Gateway.BaseAddress);
        var page = await anonymous.GetAsync("/keys", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", account.Key));
        Assert.Equal(302, page.Status);
        Assert.Contains("/signin", page.Location);
        var query = await anonymous.GetAsync("/?key=" + account.Key);
        Assert.Equal(302, query.Status);
    }

    [Fact]
    public async Task Pages_forbid_framing_caching_and_foreign_scripts()
    {
        var (client, _) = await fixture.SignUpAsync();
        var page = await client.GetAsync("/keys");
        var headers = page.Response.Headers;
        Assert.Equal("DENY", headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("no-store", headers.CacheControl!.ToString());
        var csp = headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
    }

    [Fact]
    public async Task A_signed_in_account_is_not_an_operator()
    {
        var (client, _) = await fixture.SignUpAsync();
        var page = await client.GetAsync("/admin/accounts");
        Assert.Equal(302, page.Status);
        Assert.Contains("/denied", page.Location);
    }

    [Fact]
    public async Task Sign_out_needs_a_post_with_the_token_and_ends_the_session()
    {
        var (client, _) = await fixture.SignUpAsync();
        Assert.Equal(302, (await client.GetAsync("/signout")).Status);
        Assert.Equal(200, (await client.GetAsync("/keys")).Status);
        Assert.Equal(400, (await client.PostRawAsync("/signout", new())).Status);
        Assert.Equal(200, (await client.GetAsync("/keys")).Status);

        var signedOut = await client.SubmitAsync("/keys", "/signout", new());
        Assert.Equal(302, signedOut.Status);
        Assert.Equal(302, (await client.GetAsync("/keys")).Status);
    }
}
