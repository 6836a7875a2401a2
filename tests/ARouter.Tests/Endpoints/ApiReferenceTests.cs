using System.Net;
using System.Text.Json;

namespace ARouter.Tests.Endpoints;

public sealed class ApiReferenceTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    [Fact]
    public async Task The_OpenAPI_document_describes_every_dialect_and_account_endpoint()
    {
        using var response = await fixture.Gateway.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var paths = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("paths");
        foreach (var path in new[] { "/v1/chat/completions", "/v1/messages", "/v1beta/models/{model}:generateContent", "/api/v1/keys/{id}", "/{provider}/{path}", "/health/ready" })
            Assert.True(paths.TryGetProperty(path, out _), path);
        Assert.True(paths.GetProperty("/api/v1/keys/{id}").TryGetProperty("patch", out _));
    }

    [Fact]
    public async Task The_reference_page_is_served_locally_without_a_CDN()
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = true }) { BaseAddress = fixture.Gateway.BaseAddress };
        using var page = await client.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("openapi/v1.json", html);
        Assert.DoesNotContain("cdn.jsdelivr", html);
        var script = System.Text.RegularExpressions.Regex.Match(html, "src=\"([^\"]+\\.js)\"").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(script), html);
        using var asset = await client.GetAsync(new Uri(page.RequestMessage!.RequestUri!, script));
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
    }
}
