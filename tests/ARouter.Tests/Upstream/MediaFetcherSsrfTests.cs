using System.Net;
using System.Text.Json;
using ARouter.Upstream;

namespace ARouter.Tests.Upstream;

/// <summary>
/// Server-side request forgery through media URLs the gateway downloads for Gemini: every way of naming loopback,
/// a private range or cloud metadata, other schemes, and redirects are refused before a byte is fetched or charged.
/// </summary>
public sealed class MediaFetcherSsrfTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    [Theory]
    [InlineData("::7f00:1", false)]            // IPv4-compatible ::127.0.0.1
    [InlineData("::a9fe:a9fe", false)]         // ::169.254.169.254
    [InlineData("64:ff9b::a9fe:a9fe", false)]  // NAT64 of the metadata address
    [InlineData("64:ff9b::7f00:1", false)]
    [InlineData("2002:7f00:1::", false)]       // 6to4 of 127.0.0.1
    [InlineData("2002:a00:1::", false)]        // 6to4 of 10.0.0.1
    [InlineData("100::1", false)]              // discard-only
    [InlineData("fd00:ec2::254", false)]       // AWS's IPv6 metadata address
    [InlineData("fec0::1", false)]
    [InlineData("ff02::1", false)]
    [InlineData("::", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("198.18.0.1", false)]
    [InlineData("64:ff9b::808:808", true)]
    [InlineData("2002:808:808::", true)]
    [InlineData("1.1.1.1", true)]
    public void Addresses_that_embed_or_reach_a_private_one_are_not_public(string address, bool isPublic)
        => Assert.Equal(isPublic, MediaFetcher.IsPublic(IPAddress.Parse(address)));

    public static TheoryData<string> HostileUrls => new()
    {
        "http://127.0.0.1:{port}/files/pixel.png",
        "http://2130706433:{port}/files/pixel.png",          // decimal 127.0.0.1
        "http://0177.0.0.1:{port}/files/pixel.png",          // octal
        "http://0x7f.0.0.1:{port}/files/pixel.png",          // hex
        "http://0x7f000001:{port}/files/pixel.png",
        "http://127.1:{port}/files/pixel.png",
        "http://[::1]:{port}/files/pixel.png",
        "http://[::ffff:127.0.0.1]:{port}/files/pixel.png",
        "http://[::ffff:7f00:1]:{port}/files/pixel.png",
        "http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/files/pixel.png",
        "http://localhost:{port}/files/pixel.png",            // a name that resolves to loopback
        "http://LocalHost.:{port}/files/pixel.png",
        "http://user:pass@127.0.0.1:{port}/files/pixel.png",
        "http://0.0.0.0:{port}/files/pixel.png",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://100.100.100.200/latest/meta-data/",
        "http://192.168.0.1/x.png",
        "http://[fe80::1%25eth0]/x.png",
        "file:///etc/passwd",
        "ftp://127.0.0.1/x.png",
        "gopher://127.0.0.1:70/_x",
        "dict://127.0.0.1:11211/stat",
        "jar:http://127.0.0.1/x.png!/",
        "//127.0.0.1/x.png",
        "/etc/passwd",
    };

    private string Url(string template) => template.Replace("{port}", fixture.Fakes.Address.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [MemberData(nameof(HostileUrls))]
    public async Task A_media_URL_to_loopback_private_metadata_or_another_scheme_is_refused_unfetched_and_uncharged(string template)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var url = Url(template);
        var fetched = fixture.Fakes.MediaRequests;
        var sent = fixture.Fakes.RequestsTo("google").Count;
        var body = JsonSerializer.Serialize(new
        {
            model = "google/gemini-2.5-flash",
            max_tokens = 50,
            messages = new object[] { new { role = "user", content = new object[] { new { type = "text", text = "What is this?" }, new { type = "image_url", image_url = new { url } } } } },
        });

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, body);

        Assert.Equal(400, status);
        Assert.Contains("media", json.GetProperty("error").GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(fetched, fixture.Fakes.MediaRequests);
        Assert.Equal(sent, fixture.Fakes.RequestsTo("google").Count);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Theory]
    [InlineData("image", "http://169.254.169.254/latest/meta-data/")]
    [InlineData("document", "http://127.0.0.1:{port}/files/pixel.png")]
    public async Task An_Anthropic_image_or_PDF_by_URL_to_a_private_address_is_refused(string type, string template)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var fetched = fixture.Fakes.MediaRequests;
        var body = JsonSerializer.Serialize(new
        {
            model = "google/gemini-2.5-flash",
            max_tokens = 50,
            messages = new object[] { new { role = "user", content = new object[] { new { type, source = new { type = "url", url = Url(template) } }, new { type = "text", text = "What is this?" } } } },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", account.Key);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal("error", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(fetched, fixture.Fakes.MediaRequests);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}

/// <summary>Even where intranet media is allowed, a redirect is never followed (it could point anywhere, metadata included).</summary>
public sealed class MediaRedirectTests(PrivateMediaGateway fixture) : IClassFixture<PrivateMediaGateway>
{
    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/files/pixel.png")]
    public async Task A_redirect_from_a_media_URL_is_not_followed(string to)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var fetched = fixture.Fakes.MediaRequests;
        var url = new Uri(fixture.Fakes.Address, "/files/redirect?to=" + Uri.EscapeDataString(to)).ToString();
        var body = JsonSerializer.Serialize(new
        {
            model = "google/gemini-2.5-flash",
            max_tokens = 50,
            messages = new object[] { new { role = "user", content = new object[] { new { type = "image_url", image_url = new { url } } } } },
        });
        var sent = fixture.Fakes.RequestsTo("google").Count;

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, body);

        Assert.Equal(400, status);
        Assert.Contains("HTTP 302", json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(fetched + 1, fixture.Fakes.MediaRequests);
        Assert.Equal(sent, fixture.Fakes.RequestsTo("google").Count);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
