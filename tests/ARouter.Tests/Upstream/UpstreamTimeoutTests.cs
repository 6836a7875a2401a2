using System.Net;
using System.Text.Json;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Upstream;

/// <summary>A gateway with short upstream timeouts, so a slow provider can be shown to end in 504 or an error event.</summary>
public sealed class ShortTimeoutsGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:Upstream:FirstByteTimeoutSeconds"] = "0.5",
        ["ARouter:Upstream:StreamIdleTimeoutSeconds"] = "0.5",
    };
}

public sealed class UpstreamTimeoutTests(ShortTimeoutsGateway fixture) : IClassFixture<ShortTimeoutsGateway>
{
    [Fact]
    public async Task A_provider_that_does_not_answer_in_time_is_504_and_costs_nothing()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        fixture.Fakes.Script("kimi", FakeScript.Default with { Delay = TimeSpan.FromSeconds(3) });

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("kimi").Id, maxTokens: 100));

        Assert.Equal(504, status);
        Assert.Contains("kimi", json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task A_stream_that_goes_silent_ends_with_an_error_event_not_a_silent_cut()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        fixture.Fakes.Script("minimax", FakeScript.Default with { Chunks = 4, ChunkDelay = TimeSpan.FromSeconds(2) });

        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("minimax").Id, stream: true, maxTokens: 100));
        using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await GatewayWithFakes.ReadSseAsync(response);

        Assert.DoesNotContain("[DONE]", events);
        using var error = JsonDocument.Parse(events[^1]);
        Assert.Contains("minimax", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        using var usage = JsonDocument.Parse(events[^2]);
        var cost = usage.RootElement.GetProperty("usage").GetProperty("cost").GetDecimal();
        Assert.Equal(1m - cost, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
