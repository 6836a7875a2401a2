using System.Globalization;
using System.Text.Json;

namespace ARouter.Tests.Endpoints;

public sealed class ModelsAndHealthTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    [Fact]
    public async Task Models_lists_every_routable_model_with_OpenRouter_style_prices_per_token()
    {
        using var response = await fixture.Gateway.Client.GetAsync("/v1/models");
        Assert.Equal(200, (int)response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("list", json.RootElement.GetProperty("object").GetString());
        var models = json.RootElement.GetProperty("data").EnumerateArray().ToDictionary(m => m.GetProperty("id").GetString()!);

        // Every provider is configured in this fixture, so every catalog model is routable.
        Assert.Equal(GatewayWithFakes.Catalog.Models.Count, models.Count);
        var record = GatewayWithFakes.Catalog.FindModel("deepseek/deepseek-chat")!;
        var listed = models["deepseek/deepseek-chat"];
        Assert.Equal("deepseek", listed.GetProperty("owned_by").GetString());
        Assert.Equal(record.ContextLength, listed.GetProperty("context_length").GetInt32());
        var prompt = listed.GetProperty("pricing").GetProperty("prompt");
        Assert.Equal(JsonValueKind.String, prompt.ValueKind);
        Assert.Equal(record.Price.Prompt / 1_000_000m, decimal.Parse(prompt.GetString()!, CultureInfo.InvariantCulture));
        Assert.True(listed.GetProperty("capabilities").TryGetProperty("vision", out _));
    }

    [Fact]
    public async Task Health_is_live_and_ready_checks_the_database()
    {
        using var live = await fixture.Gateway.Client.GetAsync("/health");
        using var ready = await fixture.Gateway.Client.GetAsync("/health/ready");
        Assert.Equal(200, (int)live.StatusCode);
        Assert.Equal(200, (int)ready.StatusCode);
        Assert.Contains("ready", await ready.Content.ReadAsStringAsync());
    }
}
