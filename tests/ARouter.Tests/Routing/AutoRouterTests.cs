using System.Text.Json;
using ARouter.Routing;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Routing;

/// <summary><c>model: "auto"</c> with the default pool: the first model that is available and can take the request.</summary>
public sealed class AutoRouterTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private static string Body(object[] content, bool tools = false) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["model"] = "auto",
        ["max_tokens"] = 100,
        ["messages"] = new[] { new { role = "user", content } },
        ["tools"] = tools ? new[] { new { type = "function", function = new { name = "f", parameters = new { type = "object" } } } } : null,
    }.Where(p => p.Value is not null).ToDictionary());

    private static string FirstInPool(Func<ARouter.Catalog.ModelRecord, bool> can)
        => AutoRouter.DefaultPool.Select(GatewayWithFakes.Catalog.FindModel).First(m => m is not null && can(m))!.Id;

    [Fact]
    public async Task Auto_answers_with_the_first_model_of_the_pool_and_says_which()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, Body([new { type = "text", text = "hi" }]));
        Assert.Equal(200, status);
        Assert.Equal(AutoRouter.DefaultPool[0], json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Auto_picks_a_vision_model_for_an_image_and_a_tools_model_for_tools()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var image = new object[] { new { type = "text", text = "What is it?" }, new { type = "image_url", image_url = new { url = "data:image/png;base64,iVBORw0KGgo=" } } };

        var (visionStatus, vision) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, Body(image));
        var (toolsStatus, tools) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, Body([new { type = "text", text = "hi" }], tools: true));

        Assert.Equal(200, visionStatus);
        Assert.Equal(FirstInPool(m => m.Capabilities.Vision), vision.GetProperty("model").GetString());
        Assert.True(GatewayWithFakes.Catalog.FindModel(vision.GetProperty("model").GetString()!)!.Capabilities.Vision);
        Assert.Equal(200, toolsStatus);
        Assert.True(GatewayWithFakes.Catalog.FindModel(tools.GetProperty("model").GetString()!)!.Capabilities.Tools);
    }

    [Fact]
    public async Task Auto_falls_back_when_its_first_pick_fails()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("anthropic", FakeScript.Default with { FailStatus = 529 });
        try
        {
            var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, Body([new { type = "text", text = "hi" }]));
            Assert.Equal(200, status);
            Assert.Equal(AutoRouter.DefaultPool[1], json.GetProperty("model").GetString());
        }
        finally
        {
            fixture.Fakes.Script("anthropic", FakeScript.Default);
        }
    }
}

/// <summary>An operator's own pool, cheapest first.</summary>
public sealed class CheapestAutoGateway : GatewayWithFakes
{
    public const string Pool = "xai/grok-4.3, deepseek/deepseek-chat, mistral/mistral-small-latest";

    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:Auto:Models"] = Pool,
        ["ARouter:Auto:Policy"] = "cheapest",
    };
}

public sealed class CheapestAutoTests(CheapestAutoGateway fixture) : IClassFixture<CheapestAutoGateway>
{
    [Fact]
    public async Task The_cheapest_policy_picks_the_lowest_list_price_in_the_configured_pool()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var cheapest = CheapestAutoGateway.Pool.Split(',', StringSplitOptions.TrimEntries).Select(GatewayWithFakes.Catalog.FindModel)
            .OrderBy(m => m!.Price.Prompt + (m.Price.Completion ?? 0)).First()!.Id;

        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody("auto", maxTokens: 50));

        Assert.Equal(200, status);
        Assert.Equal(cheapest, json.GetProperty("model").GetString());
    }
}
