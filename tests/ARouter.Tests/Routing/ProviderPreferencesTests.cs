using System.Text.Json;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Routing;

/// <summary>OpenRouter's <c>provider</c> object steering which candidate answers.</summary>
public sealed class ProviderPreferencesTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private static readonly string Grok = GatewayWithFakes.ChatModelOf("xai").Id;
    private static readonly string Kimi = GatewayWithFakes.ChatModelOf("kimi").Id;
    private const string DeepSeek = "deepseek/deepseek-chat";

    private async Task<(int Status, JsonElement Json)> ChatAsync(TestAccount account, object provider, params string[] models)
        => await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, JsonSerializer.Serialize(new
        {
            model = models[0],
            models = models[1..],
            provider,
            max_tokens = 20,
            messages = new[] { new { role = "user", content = "hi" } },
        }));

    [Fact]
    public async Task Order_only_and_ignore_choose_among_the_candidates()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        Assert.Equal(DeepSeek, (await ChatAsync(account, new { order = new[] { "deepseek" } }, Grok, Kimi, DeepSeek)).Json.GetProperty("model").GetString());
        Assert.Equal(Kimi, (await ChatAsync(account, new { only = new[] { "kimi" } }, Grok, Kimi, DeepSeek)).Json.GetProperty("model").GetString());
        Assert.Equal(Kimi, (await ChatAsync(account, new { ignore = new[] { "xai" } }, Grok, Kimi, DeepSeek)).Json.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Sort_by_price_and_max_price_pick_the_cheaper_model()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var cheapest = new[] { Grok, Kimi, DeepSeek }.Select(GatewayWithFakes.Catalog.FindModel).OrderBy(m => m!.Price.Prompt + (m.Price.Completion ?? 0)).First()!;
        Assert.Equal(cheapest.Id, (await ChatAsync(account, new { sort = "price" }, Grok, Kimi, DeepSeek)).Json.GetProperty("model").GetString());

        var (status, json) = await ChatAsync(account, new { max_price = new { prompt = 0.000001 } }, Grok, Kimi);
        Assert.Equal(400, status);
        Assert.Contains("provider", json.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task Without_fallbacks_only_the_first_candidate_is_tried()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("xai", FakeScript.Default with { FailStatus = 500 });
        try
        {
            var (status, _) = await ChatAsync(account, new { allow_fallbacks = false }, Grok, DeepSeek);
            Assert.Equal(502, status);
        }
        finally
        {
            fixture.Fakes.Script("xai", FakeScript.Default);
        }
    }

    [Theory]
    [InlineData("""{"orderr":["xai"]}""", "orderr")]
    [InlineData("""{"sort":"fastest"}""", "sort")]
    [InlineData("""{"only":"xai"}""", "only")]
    [InlineData("""{"max_price":{"prompt":"cheap"}}""", "max_price")]
    public async Task Unknown_or_malformed_preferences_are_400(string provider, string mentions)
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var body = $$"""{"model":"{{DeepSeek}}","provider":{{provider}},"messages":[{"role":"user","content":"hi"}]}""";
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, body);
        Assert.Equal(400, status);
        Assert.Contains(mentions, json.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
