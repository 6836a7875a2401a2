using System.Net;
using System.Text.Json;
using ARouter.Upstream;

namespace ARouter.Tests.Upstream;

public sealed class MediaFetcherTests
{
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.5", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.100.100.200", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("224.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("172.32.0.1", true)]
    [InlineData("2606:4700:4700::1111", true)]
    public void Only_public_addresses_may_be_fetched(string address, bool isPublic)
        => Assert.Equal(isPublic, MediaFetcher.IsPublic(IPAddress.Parse(address)));
}

/// <summary>Images by URL for a provider that cannot fetch them: downloaded by the gateway, never from a private address.</summary>
public sealed class MediaDownloadTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private static string Body(string url) => JsonSerializer.Serialize(new
    {
        model = "google/gemini-2.5-flash",
        max_tokens = 50,
        messages = new object[] { new { role = "user", content = new object[] { new { type = "text", text = "What is this?" }, new { type = "image_url", image_url = new { url } } } } },
    });

    [Theory]
    [InlineData("loopback")]
    [InlineData("http://localhost:1/x.png")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.0.0.1/x.png")]
    [InlineData("file:///etc/passwd")]
    public async Task An_image_URL_on_a_private_address_is_refused_and_nothing_is_sent_or_charged(string url)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        if (url == "loopback") url = new Uri(fixture.Fakes.Address, "/files/pixel.png").ToString();
        var sent = fixture.Fakes.RequestsTo("google").Count;

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, Body(url));

        Assert.Equal(400, status);
        Assert.Contains("media", json.GetProperty("error").GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(sent, fixture.Fakes.RequestsTo("google").Count);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}

/// <summary>An operator on a private network may allow intranet media; then the image arrives at Gemini inline.</summary>
public sealed class PrivateMediaGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?> { ["ARouter:Media:AllowPrivateAddresses"] = "true" };
}

public sealed class PrivateMediaTests(PrivateMediaGateway fixture) : IClassFixture<PrivateMediaGateway>
{
    [Fact]
    public async Task A_downloaded_image_reaches_Gemini_as_inline_data()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var body = JsonSerializer.Serialize(new
        {
            model = "google/gemini-2.5-flash",
            max_tokens = 50,
            messages = new object[] { new { role = "user", content = new object[] { new { type = "image_url", image_url = new { url = new Uri(fixture.Fakes.Address, "/files/pixel.png").ToString() } } } } },
            response_format = new { type = "json_object" },
        });

        var (status, _) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, body);

        Assert.Equal(200, status);
        var inline = fixture.Fakes.RequestsTo("google")[^1].Json.GetProperty("contents")[0].GetProperty("parts")[0].GetProperty("inlineData");
        Assert.Equal("image/png", inline.GetProperty("mimeType").GetString());
        Assert.StartsWith("iVBORw0KGgo", inline.GetProperty("data").GetString());
        // Everything else in the request survives the rewrite, e.g. JSON mode.
        Assert.Equal("application/json", fixture.Fakes.RequestsTo("google")[^1].Json.GetProperty("generationConfig").GetProperty("responseMimeType").GetString());
    }
}
