using System.Text.Json;
using ARouter.Dialects.Canonical;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Pipeline;

namespace ARouter.Tests.Routing;

/// <summary>A gateway whose error ratios count after 3 calls, with <c>auto</c> picking one model from xAI then DeepSeek; no breaker in the way.</summary>
public sealed class ObservedRoutingGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:Health:MinimumSamples"] = "3",
        ["ARouter:Health:MinimumThroughput"] = "1000",
        ["ARouter:Auto:Models"] = $"{ChatModelOf("xai").Id},deepseek/deepseek-chat",
        ["ARouter:Auto:Candidates"] = "1",
    };
}

/// <summary><c>sort: "latency"</c> / <c>"throughput"</c> and <c>auto</c> follow what the gateway observed of each provider.</summary>
public sealed class ObservedRoutingTests(ObservedRoutingGateway fixture) : IClassFixture<ObservedRoutingGateway>
{
    private static string ModelOf(string provider) => GatewayWithFakes.ChatModelOf(provider).Id;

    private static string Body(string[] models, string? sort) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["model"] = models[0],
        ["models"] = models[1..],
        ["provider"] = sort is null ? null : new { sort },
        ["max_tokens"] = 50,
        ["messages"] = new[] { new { role = "user", content = "hi" } },
    }.Where(p => p.Value is not null).ToDictionary());

    private async Task<(string? Model, JsonElement Attempts)> ChatAsync(TestAccount account, string[] models, string? sort)
    {
        var (status, json) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, Body(models, sort));
        Assert.Equal(200, status);
        var generation = await CallerDialects.GenerationAsync(fixture.Gateway, account.Key, json.GetProperty("id").GetString()!);
        return (json.GetProperty("model").GetString(), generation.GetProperty("attempts"));
    }

    private async Task WarmAsync(TestAccount account, string provider, int times = 2)
    {
        for (var i = 0; i < times; i++)
            Assert.Equal(200, (await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [ModelOf(provider)], stream: true)).Status);
    }

    [Fact]
    public async Task Sort_by_latency_tries_the_provider_observed_fastest_first_and_leaves_unmeasured_ones_in_place()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        using var scripted = fixture.Fakes.Scripted("nvidia", FakeScript.Default with { Delay = TimeSpan.FromMilliseconds(800) });
        await WarmAsync(account, "nvidia");
        await WarmAsync(account, "dashscope");
        var nvidiaCalls = fixture.Fakes.RequestsTo("nvidia").Count;

        var (unsorted, _) = await ChatAsync(account, [ModelOf("nvidia"), ModelOf("dashscope")], sort: null);
        var (sorted, attempts) = await ChatAsync(account, [ModelOf("nvidia"), ModelOf("dashscope")], "latency");
        Assert.Equal(ModelOf("nvidia"), unsorted);
        Assert.Equal(ModelOf("dashscope"), sorted);
        Assert.Empty(attempts.EnumerateArray());
        Assert.Equal(nvidiaCalls + 1, fixture.Fakes.RequestsTo("nvidia").Count);

        // Cohere was never measured: it keeps its first place; behind it the measured two are sorted.
        using var failing = fixture.Fakes.Scripted("cohere", FakeScript.Default with { FailStatus = 500 });
        var (next, tried) = await ChatAsync(account, [ModelOf("cohere"), ModelOf("nvidia"), ModelOf("dashscope")], "latency");
        Assert.Equal(ModelOf("dashscope"), next);
        Assert.Equal(ModelOf("cohere"), Assert.Single(tried.EnumerateArray()).GetProperty("model").GetString());
    }

    [Fact]
    public async Task Sort_by_throughput_tries_the_provider_observed_generating_fastest_first()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        // Same first byte, but Groq spaces its pieces 200 ms apart.
        using var scripted = fixture.Fakes.Scripted("groq", FakeScript.Default with { ChunkDelay = TimeSpan.FromMilliseconds(200) });
        await WarmAsync(account, "groq");
        await WarmAsync(account, "mistral");

        var (unsorted, _) = await ChatAsync(account, [ModelOf("groq"), ModelOf("mistral")], sort: null);
        var (sorted, attempts) = await ChatAsync(account, [ModelOf("groq"), ModelOf("mistral")], "throughput");

        Assert.Equal(ModelOf("groq"), unsorted);
        Assert.Equal(ModelOf("mistral"), sorted);
        Assert.Empty(attempts.EnumerateArray());
    }

    [Fact]
    public async Task Auto_passes_over_a_provider_that_has_been_failing_without_calling_it()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var xai = ModelOf("xai");
        var (first, _) = await ChatAsync(account, ["auto"], sort: null);
        Assert.Equal(xai, first);

        using var scripted = fixture.Fakes.Scripted("xai", FakeScript.Default with { FailStatus = 500 });
        for (var i = 0; i < 3; i++)
            Assert.Equal(502, (await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [xai], stream: false)).Status);
        var calls = fixture.Fakes.RequestsTo("xai").Count;

        var (picked, attempts) = await ChatAsync(account, ["auto"], sort: null);

        Assert.Equal("deepseek/deepseek-chat", picked);
        Assert.Empty(attempts.EnumerateArray());
        Assert.Equal(calls, fixture.Fakes.RequestsTo("xai").Count);
    }
}

/// <summary><c>auto</c> with <c>AROUTER__AUTO__POLICY=fastest</c>: one model from a pool of xAI then DeepSeek, by observed time to first token.</summary>
public sealed class FastestAutoGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:Auto:Models"] = $"{ChatModelOf("xai").Id},deepseek/deepseek-chat",
        ["ARouter:Auto:Candidates"] = "1",
        ["ARouter:Auto:Policy"] = "fastest",
    };
}

public sealed class FastestAutoTests(FastestAutoGateway fixture) : IClassFixture<FastestAutoGateway>
{
    [Fact]
    public async Task The_fastest_policy_picks_the_pool_model_observed_answering_first()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var xai = GatewayWithFakes.ChatModelOf("xai").Id;
        Assert.Equal(xai, (await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, ["auto"], stream: false)).Model);

        using (fixture.Fakes.Scripted("xai", FakeScript.Default with { Delay = TimeSpan.FromMilliseconds(800) }))
        {
            foreach (var model in (string[])[xai, xai, "deepseek/deepseek-chat", "deepseek/deepseek-chat"])
                Assert.Equal(200, (await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [model], stream: true)).Status);
        }

        Assert.Equal("deepseek/deepseek-chat", (await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, ["auto"], stream: false)).Model);
    }
}
