using System.ClientModel;
using System.Globalization;
using OpenAI;
using OpenAI.Chat;
using OpenQA.Selenium;
using OpenQA.Selenium.Support.UI;

namespace ARouter.Tests.Dashboard;

/// <summary>
/// The getting-started path in a real browser: sign up, create a key, copy it, call the gateway with the
/// OpenAI SDK, then see the request in Activity and the balance drop. Every page is photographed.
/// </summary>
public sealed class DashboardBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    private string Url(string path) => new Uri(fixture.Gateway.BaseAddress, path).ToString();

    private static IWebElement Find(IWebDriver driver, string css) => new WebDriverWait(driver, TimeSpan.FromSeconds(30)).Until(d => d.FindElements(By.CssSelector(css)).FirstOrDefault());

    /// <summary>Waits for an element under <paramref name="css"/> showing <paramref name="expected"/>, through the page reload a form submit causes.</summary>
    private static void WaitForText(IWebDriver driver, string css, string expected)
    {
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(30));
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));
        wait.Until(d => d.FindElements(By.CssSelector(css)).Any(e => e.Text.Contains(expected, StringComparison.Ordinal)));
    }

    private static void WaitForPath(IWebDriver driver, string path) => new WebDriverWait(driver, TimeSpan.FromSeconds(30)).Until(d => new Uri(d.Url).AbsolutePath == path);

    [NeedsChromiumFact]
    public async Task Sign_up_create_and_copy_a_key_use_it_with_the_OpenAI_SDK_and_see_the_request_and_the_balance_drop()
    {
        using var chromium = new HeadlessChromium();
        var driver = chromium.Driver;
        var email = $"browser-{Guid.NewGuid():n}@example.com";

        driver.Navigate().GoToUrl(Url("/signup"));
        chromium.Screenshot("01-signup");
        driver.FindElement(By.Id("email")).SendKeys(email);
        driver.FindElement(By.Id("password")).SendKeys(PageClient.Password);
        driver.FindElement(By.CssSelector("main button[type=submit]")).Click();
        WaitForPath(driver, "/");
        Assert.Equal("$0.00", Find(driver, "#balance").Text);
        chromium.Screenshot("02-overview-new-account");

        // The operator gives the new account credit through the admin API.
        var accountId = driver.FindElements(By.CssSelector("main code")).Select(e => e.Text).First(t => t.StartsWith("acct_", StringComparison.Ordinal));
        await fixture.Gateway.CreditAsync(accountId, 5m);

        driver.Navigate().GoToUrl(Url("/keys"));
        driver.FindElement(By.Id("key-name")).SendKeys("my first app");
        driver.FindElement(By.Id("key-limit")).SendKeys("2");
        driver.FindElement(By.CssSelector("form[action*='handler=Create'] button[type=submit]")).Click();
        var secret = Find(driver, "#new-secret").Text.Trim();
        Assert.StartsWith("lr_live_", secret);

        // Copy with the page's button and read the clipboard back, as a paste would.
        driver.ExecuteCdpCommand("Browser.grantPermissions", new Dictionary<string, object?>
        {
            ["origin"] = fixture.Gateway.BaseAddress.GetLeftPart(UriPartial.Authority),
            ["permissions"] = new[] { "clipboardReadWrite", "clipboardSanitizedWrite" },
        });
        var copy = driver.FindElement(By.CssSelector("button[data-copy='new-secret']"));
        Assert.True(copy.Displayed, "the copy button shows once the script runs");
        copy.Click();
        new WebDriverWait(driver, TimeSpan.FromSeconds(10)).Until(_ => copy.Text == "Copied");
        var pasted = (string?)((IJavaScriptExecutor)driver).ExecuteAsyncScript("var done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, function (e) { done('error: ' + e); });");
        Assert.Equal(secret, pasted);
        Assert.NotNull(pasted);
        chromium.Screenshot("03-keys-secret-shown-once");

        var sdk = new ChatClient("deepseek/deepseek-chat", new ApiKeyCredential(pasted), new OpenAIClientOptions { Endpoint = new Uri(fixture.Gateway.BaseAddress, "/v1") });
        var completion = (await sdk.CompleteChatAsync([new UserChatMessage("Say hello.")])).Value;
        Assert.Equal("deepseek/deepseek-chat", completion.Model);
        var balance = await fixture.Gateway.BalanceAsync(pasted);
        Assert.True(balance < 5m, $"the balance dropped: {balance}");

        driver.Navigate().GoToUrl(Url("/activity"));
        var row = Find(driver, "#generations tbody tr");
        Assert.Contains("deepseek/deepseek-chat", row.Text);
        Assert.Contains("my first app", row.Text);
        chromium.Screenshot("04-activity-requests");
        driver.FindElement(By.LinkText("Transactions")).Click();
        Assert.Contains("charge", Find(driver, "#transactions tbody tr").Text);
        chromium.Screenshot("05-activity-transactions");

        driver.Navigate().GoToUrl(Url("/"));
        Assert.Equal("$" + balance.ToString("0.00#######", CultureInfo.InvariantCulture), Find(driver, "#balance").Text);
        Assert.Equal("1", driver.FindElement(By.Id("requests-30")).Text);
        Assert.NotEmpty(driver.FindElements(By.CssSelector("svg.chart rect")));
        chromium.Screenshot("06-overview-after-a-request");

        driver.Navigate().GoToUrl(Url("/keys"));
        Assert.DoesNotContain(secret, driver.PageSource);
        chromium.Screenshot("07-keys-list");
        driver.FindElement(By.CssSelector("a[href$='/delete']")).Click();
        Find(driver, "button.danger");
        chromium.Screenshot("08-key-delete-confirmation");
        driver.Navigate().Back();

        driver.Navigate().GoToUrl(Url("/models?q=claude"));
        Assert.All(driver.FindElements(By.CssSelector("#models tbody tr td:first-child code")), c => Assert.Contains("claude", c.Text));
        driver.Navigate().GoToUrl(Url("/models"));
        chromium.Screenshot("09-models");

        driver.Navigate().GoToUrl(Url("/byok"));
        driver.FindElement(By.CssSelector("#byok-provider option[value=anthropic]")).Click();
        driver.FindElement(By.Id("byok-key")).SendKeys("sk-ant-my-own-key");
        driver.FindElement(By.CssSelector("form[action*='handler=Store'] button")).Click();
        WaitForText(driver, "#provider-keys", "anthropic");
        Assert.DoesNotContain("sk-ant-my-own-key", driver.PageSource);
        chromium.Screenshot("10-byok");

        driver.Navigate().GoToUrl(Url("/quickstart"));
        Assert.Equal(fixture.Gateway.BaseAddress.ToString().TrimEnd('/') + "/v1", Find(driver, "#base-url").Text);
        chromium.FullPageScreenshot("11-quickstart");

        // Keyboard: the first Tab reaches the skip link, and it is visible when focused.
        driver.Navigate().GoToUrl(Url("/"));
        driver.FindElement(By.TagName("body")).SendKeys(Keys.Tab);
        var focused = driver.SwitchTo().ActiveElement();
        Assert.Equal("Skip to content", focused.Text);
        Assert.True(focused.Location.X >= 0, "the skip link moves on screen when focused");

        driver.FindElement(By.CssSelector(".who button")).Click();
        WaitForPath(driver, "/signin");
        chromium.Screenshot("12-signin");
    }

    [NeedsChromiumFact]
    public async Task The_operator_adds_credit_in_the_browser_and_the_pages_fit_a_phone()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1, name: "phone-customer");
        using (var chromium = new HeadlessChromium())
        {
            var driver = chromium.Driver;
            driver.Navigate().GoToUrl(Url("/admin/signin"));
            driver.FindElement(By.Id("token")).SendKeys(GatewayHost.AdminToken);
            driver.FindElement(By.CssSelector("main button[type=submit]")).Click();
            WaitForPath(driver, "/admin/accounts");
            driver.Navigate().GoToUrl(Url("/admin/accounts?q=" + account.Id));
            driver.FindElement(By.Id("amount-" + account.Id)).SendKeys("4");
            driver.FindElement(By.CssSelector("form[action*='handler=Credit'] button")).Click();
            WaitForText(driver, "[role=status]", "Credit added");
            Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
            chromium.Screenshot("13-operator-accounts");
        }

        using var phone = new HeadlessChromium(390, 844);
        var p = phone.Driver;
        p.Navigate().GoToUrl(Url("/signup"));
        p.FindElement(By.Id("email")).SendKeys($"phone-{Guid.NewGuid():n}@example.com");
        p.FindElement(By.Id("password")).SendKeys(PageClient.Password);
        p.FindElement(By.CssSelector("main button[type=submit]")).Click();
        WaitForPath(p, "/");
        foreach (var (path, name) in new[] { ("/", "14-phone-overview"), ("/keys", "15-phone-keys"), ("/models", "16-phone-models"), ("/quickstart", "17-phone-quickstart") })
        {
            p.Navigate().GoToUrl(Url(path));
            Find(p, "main h1");
            var overflow = Convert.ToInt64(p.ExecuteScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth"));
            Assert.True(overflow <= 0, $"{path} scrolls sideways on a phone by {overflow}px");
            phone.Screenshot(name);
        }
    }
}
