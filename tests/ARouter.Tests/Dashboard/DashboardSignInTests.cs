using ARouter.Cli;
using ARouter.Tests.Cli;

namespace ARouter.Tests.Dashboard;

/// <summary>Sign-up, sign-in and their rules: password rules, duplicates, the brute-force throttle, the operator's switches.</summary>
public sealed class DashboardSignInTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private static Dictionary<string, string> Credentials(string email, string password = PageClient.Password) => new() { ["email"] = email, ["password"] = password };

    private static string NewEmail() => $"person-{Guid.NewGuid():n}@example.com";

    [Fact]
    public async Task Sign_up_then_sign_in_again_with_any_capitalisation_of_the_email()
    {
        var email = NewEmail();
        using (var first = await PageClient.SignUpAsync(fixture.Gateway, email)) Assert.Equal(200, (await first.GetAsync("/")).Status);

        using var second = new PageClient(fixture.Gateway.BaseAddress);
        var signedIn = await second.SubmitAsync("/signin", "/signin", Credentials(email.ToUpperInvariant()));
        Assert.Equal(302, signedIn.Status);
        Assert.Equal("/", signedIn.Location);
        Assert.Contains(email, (await second.GetAsync("/")).Html.QuerySelector(".who")!.TextContent);
    }

    [Fact]
    public async Task Sign_in_returns_to_the_page_asked_for_but_never_to_another_site()
    {
        var email = NewEmail();
        (await PageClient.SignUpAsync(fixture.Gateway, email)).Dispose();
        using var client = new PageClient(fixture.Gateway.BaseAddress);
        var toKeys = await client.SubmitAsync("/signin?returnUrl=%2Fkeys", "/signin", Credentials(email));
        Assert.Equal("/keys", toKeys.Location);

        using var other = new PageClient(fixture.Gateway.BaseAddress);
        var away = await other.SubmitAsync("/signin?returnUrl=https%3A%2F%2Fevil.example%2F", "/signin", Credentials(email));
        Assert.Equal("/", away.Location);
    }

    [Theory]
    [InlineData("not-an-email", PageClient.Password, "Enter an email address like name@example.com")]
    [InlineData("ok@example.com", "short", "Use at least 10 characters")]
    [InlineData("ok@example.com", "aaaaaaaaaaaa", "Use a less repetitive password")]
    [InlineData("same@example.com", "same@example.com", "cannot be your email")]
    public async Task Sign_up_refuses_a_bad_email_or_password_and_says_why(string email, string password, string message)
    {
        using var client = new PageClient(fixture.Gateway.BaseAddress);
        var page = await client.SubmitAsync("/signup", "/signup", Credentials(email, password));
        Assert.Equal(400, page.Status);
        Assert.Contains(message, page.MainText);
    }

    [Fact]
    public async Task An_email_signs_up_once()
    {
        var email = NewEmail();
        (await PageClient.SignUpAsync(fixture.Gateway, email)).Dispose();
        using var again = new PageClient(fixture.Gateway.BaseAddress);
        var page = await again.SubmitAsync("/signup", "/signup", Credentials(email.ToUpperInvariant(), "another password 123"));
        Assert.Equal(409, page.Status);
        Assert.Contains("already exists", page.MainText);
    }

    [Fact]
    public async Task A_wrong_password_or_unknown_email_gets_the_same_answer()
    {
        var email = NewEmail();
        (await PageClient.SignUpAsync(fixture.Gateway, email)).Dispose();
        using var client = new PageClient(fixture.Gateway.BaseAddress);
        var wrong = await client.SubmitAsync("/signin", "/signin", Credentials(email, "wrong password 123"));
        var unknown = await client.SubmitAsync("/signin", "/signin", Credentials(NewEmail()));
        Assert.Equal(401, wrong.Status);
        Assert.Equal(401, unknown.Status);
        Assert.Equal(wrong.Html.QuerySelector("[role=alert]")!.TextContent, unknown.Html.QuerySelector("[role=alert]")!.TextContent);
        Assert.Equal(302, (await client.GetAsync("/")).Status);
    }

    [Fact]
    public async Task Repeated_failures_lock_an_email_out_even_with_the_right_password()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["ARouter:Dashboard:FailuresPerEmail"] = "3" });
        var email = NewEmail();
        (await PageClient.SignUpAsync(gateway, email)).Dispose();
        using var attacker = new PageClient(gateway.BaseAddress);
        for (var i = 0; i < 3; i++) Assert.Equal(401, (await attacker.SubmitAsync("/signin", "/signin", Credentials(email, $"guess number {i}xx"))).Status);

        var locked = await attacker.SubmitAsync("/signin", "/signin", Credentials(email));
        Assert.Equal(429, locked.Status);
        Assert.Contains("Too many failed sign-ins", locked.MainText);
        Assert.NotNull(locked.Response.Headers.RetryAfter);
        Assert.Equal(302, (await attacker.GetAsync("/")).Status);

        // Another email from the same address is not locked by this one's failures.
        var other = NewEmail();
        (await PageClient.SignUpAsync(gateway, other)).Dispose();
        Assert.Equal(302, (await attacker.SubmitAsync("/signin", "/signin", Credentials(other))).Status);
    }

    [Fact]
    public async Task Repeated_failures_from_one_address_lock_it_out_across_emails()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["ARouter:Dashboard:FailuresPerAddress"] = "4" });
        using var attacker = new PageClient(gateway.BaseAddress);
        for (var i = 0; i < 4; i++) Assert.Equal(401, (await attacker.SubmitAsync("/signin", "/signin", Credentials(NewEmail()))).Status);
        Assert.Equal(429, (await attacker.SubmitAsync("/signin", "/signin", Credentials(NewEmail()))).Status);
    }

    [Fact]
    public async Task The_operator_can_turn_sign_up_off_and_set_a_starting_credit()
    {
        await using (var closed = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["ARouter:Dashboard:Signup"] = "false" }))
        {
            using var client = new PageClient(closed.BaseAddress);
            var page = await client.GetAsync("/signup");
            Assert.Equal(403, page.Status);
            Assert.Contains("Sign-up is turned off", page.MainText);
            Assert.Null(page.Html.QuerySelector("input[name=password]"));
            var token = (await client.GetAsync("/signin")).Html.QuerySelector("input[name=__csrf]")!.GetAttribute("value")!;
            var post = await client.PostRawAsync("/signup", new() { ["email"] = NewEmail(), ["password"] = PageClient.Password, ["__csrf"] = token });
            Assert.Equal(403, post.Status);
            Assert.DoesNotContain("/signup", (await client.GetAsync("/signin")).Text);
        }

        await using var generous = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["ARouter:Dashboard:StartingCredit"] = "2.5" });
        using var person = await PageClient.SignUpAsync(generous, NewEmail());
        var overview = await person.GetAsync("/");
        Assert.Equal("$2.50", overview.Html.QuerySelector("#balance")!.TextContent);
        var transactions = await person.GetAsync("/activity?view=transactions");
        Assert.Contains("starting credit", transactions.Html.QuerySelector("#transactions")!.TextContent);
    }

    [Fact]
    public async Task Without_the_dashboard_the_api_still_serves_and_the_pages_are_gone()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["ARouter:Dashboard:Enabled"] = "false" });
        using var client = new PageClient(gateway.BaseAddress);
        Assert.Equal(404, (await client.GetAsync("/")).Status);
        Assert.Equal(404, (await client.GetAsync("/signin")).Status);
        var account = await gateway.CreateAccountAsync(1);
        Assert.Equal(1m, await gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_secure_cookie_can_be_required_behind_a_tls_proxy()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["ARouter:Dashboard:SecureCookies"] = "true" });
        using var client = new PageClient(gateway.BaseAddress);
        var signup = await client.SubmitAsync("/signup", "/signup", Credentials(NewEmail()));
        Assert.Contains("secure", signup.Response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("arouter_session=", StringComparison.Ordinal)), StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>The CLI reads the database from the environment, so this runs with the other CLI tests, one at a time.</summary>
[Collection(nameof(EnvironmentCollection))]
public sealed class LoginsCommandTests
{
    [Fact]
    public async Task An_account_made_by_the_admin_api_gets_a_login_from_the_cli_and_signs_in()
    {
        await using var gateway = await GatewayHost.StartAsync();
        var account = await gateway.CreateAccountAsync(4, name: "made-by-admin");
        var previousDatabase = Environment.GetEnvironmentVariable("AROUTER_DATABASE");
        var previousPassword = Environment.GetEnvironmentVariable(LoginsCommand.PasswordVariable);
        Environment.SetEnvironmentVariable("AROUTER_DATABASE", $"Data Source={gateway.DatabasePath}");
        Environment.SetEnvironmentVariable(LoginsCommand.PasswordVariable, PageClient.Password);
        try
        {
            var output = new StringWriter();
            Assert.Equal(0, await CliApp.RunAsync(["logins", "create", "--account", account.Id, "--email", "Owner@Example.com"], output));
            Assert.Contains("owner", output.ToString(), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(PageClient.Password, output.ToString());
            Assert.Equal(1, await CliApp.RunAsync(["logins", "create", "--account", account.Id, "--email", "second@example.com"], new StringWriter()));
            Assert.Equal(1, await CliApp.RunAsync(["logins", "create", "--account", "acct_missing", "--email", "third@example.com"], new StringWriter()));
        }
        finally
        {
            Environment.SetEnvironmentVariable("AROUTER_DATABASE", previousDatabase);
            Environment.SetEnvironmentVariable(LoginsCommand.PasswordVariable, previousPassword);
        }

        using var client = new PageClient(gateway.BaseAddress);
        Assert.Equal(302, (await client.SubmitAsync("/signin", "/signin", new() { ["email"] = "owner@example.com", ["password"] = PageClient.Password })).Status);
        var overview = await client.GetAsync("/");
        Assert.Equal("$4.00", overview.Html.QuerySelector("#balance")!.TextContent);
        Assert.Contains(account.Id, overview.MainText);
    }
}

/// <summary>Sessions are checked against the stored login on every request.</summary>
public sealed class DashboardSessionTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    [Fact]
    public async Task A_password_change_elsewhere_ends_the_session_at_once()
    {
        var email = $"stamp-{Guid.NewGuid():n}@example.com";
        using var client = await PageClient.SignUpAsync(fixture.Gateway, email);
        Assert.Equal(200, (await client.GetAsync("/keys")).Status);

        var logins = (ARouter.Storage.ILoginStore)fixture.Gateway.Services.GetService(typeof(ARouter.Storage.ILoginStore))!;
        var login = (await logins.FindLoginByEmailAsync(email, default))!;
        await logins.UpdatePasswordAsync(login.Id, login.PasswordHash, "a-new-stamp", default);

        var after = await client.GetAsync("/keys");
        Assert.Equal(302, after.Status);
        Assert.Contains("/signin", after.Location);
    }
}
