using System.Net;
using System.Text.Json;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Limits;

/// <summary>Every authenticated response carries the key's rate limit; over it, 429 with Retry-After and nothing sent or charged.</summary>
public sealed class RateLimitTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private async Task<string> KeyWithRateLimitAsync(TestAccount account, int requests, int seconds)
    {
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/api/v1/keys", account.Key,
            new { name = "limited", rate_limit = new { requests, interval_seconds = seconds } });
        Assert.Equal(201, status);
        return json.GetProperty("key").GetString()!;
    }

    private static (int Limit, int Remaining, long Reset) Headers(HttpResponseMessage response) => (
        int.Parse(response.Headers.GetValues("X-RateLimit-Limit").Single()),
        int.Parse(response.Headers.GetValues("X-RateLimit-Remaining").Single()),
        long.Parse(response.Headers.GetValues("X-RateLimit-Reset").Single()));

    [Fact]
    public async Task Success_client_errors_upstream_errors_streams_and_passthrough_all_carry_the_rate_limit_headers()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var key = await KeyWithRateLimitAsync(account, 20, 60);
        fixture.Fakes.Script("cohere", FakeScript.Default with { FailStatus = 500 });
        var requests = new (string Body, HttpStatusCode Expected)[]
        {
            (GatewayWithFakes.ChatBody("deepseek/deepseek-chat"), HttpStatusCode.OK),
            ("{\"model\": 1}", HttpStatusCode.BadRequest),
            (GatewayWithFakes.ChatBody("nope/model"), HttpStatusCode.NotFound),
            (GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("cohere").Id, maxTokens: 10), HttpStatusCode.BadGateway),
            (GatewayWithFakes.ChatBody("deepseek/deepseek-chat", stream: true), HttpStatusCode.OK),
        };
        var remaining = new List<int>();
        try
        {
            foreach (var (body, expected) in requests)
            {
                using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", key, body);
                using var response = await fixture.Gateway.Client.SendAsync(request);
                Assert.Equal(expected, response.StatusCode);
                var (limit, left, reset) = Headers(response);
                Assert.Equal(20, limit);
                Assert.InRange(reset, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddSeconds(61).ToUnixTimeSeconds());
                remaining.Add(left);
            }
        }
        finally
        {
            fixture.Fakes.Script("cohere", FakeScript.Default);
        }
        Assert.Equal([19, 18, 17, 16, 15], remaining);

        using (var passthrough = fixture.Gateway.Request(HttpMethod.Post, "/deepseek/chat/completions", key, """{"model":"deepseek-chat","messages":[{"role":"user","content":"hi"}]}"""))
        using (var passthroughResponse = await fixture.Gateway.Client.SendAsync(passthrough))
        {
            Assert.Equal(HttpStatusCode.OK, passthroughResponse.StatusCode);
            Assert.Equal(14, Headers(passthroughResponse).Remaining);
        }

        using var balance = fixture.Gateway.Request(HttpMethod.Get, "/api/v1/balance", key);
        using var balanceResponse = await fixture.Gateway.Client.SendAsync(balance);
        Assert.Equal(13, Headers(balanceResponse).Remaining);
    }

    [Fact]
    public async Task Over_the_limit_is_429_with_Retry_After_nothing_is_sent_or_charged_and_the_window_refills()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var key = await KeyWithRateLimitAsync(account, 3, 1);
        for (var i = 0; i < 3; i++)
            Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", key, GatewayWithFakes.ChatBody("kimi/" + GatewayWithFakes.ChatModelOf("kimi").UpstreamId, maxTokens: 10))).Status);
        var sent = fixture.Fakes.RequestsTo("kimi").Count;
        var balance = await fixture.Gateway.BalanceAsync(account.Key);

        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", key, GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("kimi").Id, maxTokens: 10));
        using var response = await fixture.Gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter!.Delta);
        Assert.Equal(0, Headers(response).Remaining);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("rate_limit_exceeded", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(sent, fixture.Fakes.RequestsTo("kimi").Count);
        Assert.Equal(balance, await fixture.Gateway.BalanceAsync(account.Key));

        await Task.Delay(1_100);
        Assert.Equal(200, (await fixture.Gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/balance", key)).Status);
    }

    [Fact]
    public async Task Keys_without_their_own_limit_get_the_configured_default()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        using var request = fixture.Gateway.Request(HttpMethod.Get, "/api/v1/balance", account.Key);
        using var response = await fixture.Gateway.Client.SendAsync(request);
        Assert.Equal(new ARouter.Limits.RateLimitOptions().DefaultRequests, Headers(response).Limit);
    }
}
