using System.Text.Json;
using ARouter.Dialects.Canonical;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Endpoints;

/// <summary>
/// Images from every caller dialect (OpenAI <c>image_url</c>, Anthropic <c>image</c> block, Gemini <c>inlineData</c> /
/// <c>fileData</c>) reach every upstream dialect in its own shape — by URL where the provider fetches it, inline where
/// it cannot — billed exactly.
/// </summary>
public sealed class ImagesAcrossDialectsTests(MediaGateway fixture) : IClassFixture<MediaGateway>
{
    private const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg==";

    public static TheoryData<CallerDialect, string, bool> Cases()
    {
        var data = new TheoryData<CallerDialect, string, bool>();
        foreach (var (caller, slug) in DialectCalls.Callers.SelectMany(c => DialectCalls.UpstreamModels.Keys.Select(s => (c, s))))
        {
            data.Add(caller, slug, false);
            // A Gemini caller's fileData goes to Google untouched (Google reads its own file URIs).
            if (!(caller == CallerDialect.Gemini && slug == "google")) data.Add(caller, slug, true);
        }
        return data;
    }

    private static Dictionary<string, object?> ImageMessage(CallerDialect caller, string? url) => caller switch
    {
        CallerDialect.OpenAi => new() { ["messages"] = new object[] { new { role = "user", content = new object[] { new { type = "text", text = "What is this?" }, new { type = "image_url", image_url = new { url = url ?? "data:image/png;base64," + Png } } } } } },
        CallerDialect.Anthropic => new()
        {
            ["messages"] = new object[]
            {
                new { role = "user", content = new object[] { url is null ? new { type = "image", source = (object)new { type = "base64", media_type = "image/png", data = Png } } : new { type = "image", source = (object)new { type = "url", url } }, new { type = "text", text = "What is this?" } } },
            },
        },
        _ => new()
        {
            ["contents"] = new object[]
            {
                new { role = "user", parts = new object[] { url is null ? new { inlineData = (object)new { mimeType = "image/png", data = Png } } : new { fileData = (object)new { mimeType = "image/png", fileUri = url } }, new { text = "What is this?" } } },
            },
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task An_image_reaches_each_upstream_in_its_own_shape_and_is_billed_exactly(CallerDialect caller, string slug, bool byUrl)
    {
        var url = byUrl ? new Uri(fixture.Fakes.Address, "/files/pixel.png").ToString() : null;
        var (account, model, body) = await DialectCalls.ScriptedCallAsync(fixture, caller, slug, FakeScript.Default, false, 100, ImageMessage(caller, url));

        Assert.Contains(FakeScript.Default.Reply, body);
        var sent = fixture.Fakes.RequestsTo(slug)[^1].Json;
        switch (slug)
        {
            case "openai":
                // OpenAI fetches image URLs itself.
                var image = sent.GetProperty("messages")[0].GetProperty("content").EnumerateArray().Single(p => p.GetProperty("type").GetString() == "image_url");
                Assert.Equal(url ?? "data:image/png;base64," + Png, image.GetProperty("image_url").GetProperty("url").GetString());
                break;
            case "anthropic":
                var source = sent.GetProperty("messages")[0].GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "image").GetProperty("source");
                Assert.Equal(url is null ? "base64" : "url", source.GetProperty("type").GetString());
                if (url is null) Assert.Equal(Png, source.GetProperty("data").GetString()); else Assert.Equal(url, source.GetProperty("url").GetString());
                break;
            default:
                // Gemini reads only inline data (or its own file URIs): the gateway downloaded the URL.
                var inline = sent.GetProperty("contents")[0].GetProperty("parts").EnumerateArray().Single(p => p.TryGetProperty("inlineData", out _)).GetProperty("inlineData");
                Assert.Equal("image/png", inline.GetProperty("mimeType").GetString());
                Assert.Equal(Png, inline.GetProperty("data").GetString());
                break;
        }
        var cost = DialectCalls.Cost(model, DialectCalls.UsageOf(slug, FakeScript.Default));
        Assert.Equal(cost, DialectCalls.ReportedCost(caller, body, stream: false));
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, model, cost);
    }

    [Theory]
    [InlineData(CallerDialect.OpenAi)]
    [InlineData(CallerDialect.Anthropic)]
    [InlineData(CallerDialect.Gemini)]
    public async Task An_image_to_a_text_only_model_is_a_400_in_the_callers_dialect_and_costs_nothing(CallerDialect caller)
        => await DialectCalls.AssertRefusedAsync(fixture, caller, "deepseek/deepseek-v4-pro", ImageMessage(caller, null), "deepseek/deepseek-v4-pro", "images");
}
