using System.Text.Json;
using ARouter.Dialects.Canonical;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Endpoints;

/// <summary>
/// PDFs from every caller dialect (OpenAI <c>file</c> part, Anthropic <c>document</c> block, Gemini <c>inlineData</c>)
/// reach every upstream dialect in that upstream's own shape, billed exactly; a model without <c>pdf</c> refuses them.
/// </summary>
public sealed class PdfAcrossDialectsTests(MediaGateway fixture) : IClassFixture<MediaGateway>
{
    private static readonly string Pdf = Convert.ToBase64String(FakeProviders.FakePdf);
    private static readonly FakeScript Script = FakeScript.Default with { PromptTokens = 300, CompletionTokens = 6 };

    public static TheoryData<CallerDialect, string> Pairs => DialectCalls.Pairs();

    private static Dictionary<string, object?> PdfMessage(CallerDialect caller, string? url = null) => caller switch
    {
        CallerDialect.OpenAi => new() { ["messages"] = new object[] { new { role = "user", content = new object[] { new { type = "text", text = "Summarise." }, new { type = "file", file = new { filename = "report.pdf", file_data = "data:application/pdf;base64," + Pdf } } } } } },
        CallerDialect.Anthropic => new()
        {
            ["messages"] = new object[]
            {
                new
                {
                    role = "user",
                    content = new object[]
                    {
                        url is null ? new { type = "document", source = (object)new { type = "base64", media_type = "application/pdf", data = Pdf }, title = "report.pdf" } : new { type = "document", source = (object)new { type = "url", url }, title = "report.pdf" },
                        new { type = "text", text = "Summarise." },
                    },
                },
            },
        },
        _ => new()
        {
            ["contents"] = new object[]
            {
                new { role = "user", parts = new object[] { url is null ? new { inlineData = (object)new { mimeType = "application/pdf", data = Pdf } } : new { fileData = (object)new { mimeType = "application/pdf", fileUri = url } }, new { text = "Summarise." } } },
            },
        },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task A_base64_PDF_reaches_each_upstream_in_its_own_shape_and_is_billed_exactly(CallerDialect caller, string slug)
    {
        var (account, model, body) = await DialectCalls.ScriptedCallAsync(fixture, caller, slug, Script, false, 100, PdfMessage(caller));
        Assert.Contains(Script.Reply, body);
        var sent = fixture.Fakes.RequestsTo(slug)[^1].Json;
        AssertPdfArrived(slug, sent, url: null);
        var cost = DialectCalls.Cost(model, DialectCalls.UsageOf(slug, Script));
        Assert.Equal(cost, DialectCalls.ReportedCost(caller, body, stream: false));
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, model, cost);
    }

    public static TheoryData<CallerDialect, string> UrlPairs()
    {
        var data = new TheoryData<CallerDialect, string>();
        foreach (var caller in (CallerDialect[])[CallerDialect.Anthropic, CallerDialect.Gemini])
            foreach (var slug in DialectCalls.UpstreamModels.Keys)
                if (!(caller == CallerDialect.Gemini && slug == "google")) data.Add(caller, slug);
        return data;
    }

    [Theory]
    [MemberData(nameof(UrlPairs))]
    public async Task A_PDF_by_URL_goes_as_a_URL_to_Anthropic_and_is_downloaded_for_Gemini_and_OpenAI(CallerDialect caller, string slug)
    {
        var model = DialectCalls.UpstreamModels[slug];
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var url = new Uri(fixture.Fakes.Address, "/files/doc.pdf").ToString();
        var (status, body) = await DialectCalls.PostAsync(fixture.Gateway, caller, model, DialectCalls.Body(caller, model, false, 100, PdfMessage(caller, url)), false, account.Key);

        Assert.True(status == 200, body);
        AssertPdfArrived(slug, fixture.Fakes.RequestsTo(slug)[^1].Json, slug == "anthropic" ? url : null);
        Assert.True(DialectCalls.ReportedCost(caller, body, stream: false) > 0);
    }

    private static void AssertPdfArrived(string slug, JsonElement sent, string? url)
    {
        switch (slug)
        {
            case "openai":
                var file = sent.GetProperty("messages")[0].GetProperty("content").EnumerateArray().Single(p => p.GetProperty("type").GetString() == "file").GetProperty("file");
                Assert.Equal("data:application/pdf;base64," + Pdf, file.GetProperty("file_data").GetString());
                Assert.False(string.IsNullOrEmpty(file.GetProperty("filename").GetString()));
                break;
            case "anthropic":
                var document = sent.GetProperty("messages")[0].GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "document");
                var source = document.GetProperty("source");
                if (url is not null)
                {
                    Assert.Equal("url", source.GetProperty("type").GetString());
                    Assert.Equal(url, source.GetProperty("url").GetString());
                }
                else
                {
                    Assert.Equal("base64", source.GetProperty("type").GetString());
                    Assert.Equal("application/pdf", source.GetProperty("media_type").GetString());
                    Assert.Equal(Pdf, source.GetProperty("data").GetString());
                }
                break;
            default:
                var inline = sent.GetProperty("contents")[0].GetProperty("parts").EnumerateArray().Single(p => p.TryGetProperty("inlineData", out _)).GetProperty("inlineData");
                Assert.Equal("application/pdf", inline.GetProperty("mimeType").GetString());
                Assert.Equal(Pdf, inline.GetProperty("data").GetString());
                break;
        }
    }

    [Fact]
    public async Task A_Gemini_text_file_reaches_Anthropic_as_a_text_document_and_audio_is_refused_before_sending()
    {
        const string model = "anthropic/claude-sonnet-4.6";
        var account = await fixture.Gateway.CreateAccountAsync(1);
        object Body(string mimeType, string data) => new { contents = new[] { new { parts = new object[] { new { inlineData = new { mimeType, data } }, new { text = "Summarise." } } } } };

        var (status, body) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.Gemini, model, Body("text/plain", Convert.ToBase64String("Minutes: we agreed."u8.ToArray())), false, account.Key);
        Assert.True(status == 200, body);
        var source = fixture.Fakes.RequestsTo("anthropic")[^1].Json.GetProperty("messages")[0].GetProperty("content")[0].GetProperty("source");
        Assert.Equal("text", source.GetProperty("type").GetString());
        Assert.Equal("Minutes: we agreed.", source.GetProperty("data").GetString());
        var balance = await fixture.Gateway.BalanceAsync(account.Key);

        var before = fixture.Fakes.RequestsTo("anthropic").Count;
        (status, body) = await DialectCalls.PostAsync(fixture.Gateway, CallerDialect.Gemini, model, Body("audio/wav", "UklGRg=="), false, account.Key);
        Assert.Equal(400, status);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal("INVALID_ARGUMENT", error.GetProperty("status").GetString());
        Assert.Contains("audio/wav", error.GetProperty("message").GetString());
        Assert.Equal(before, fixture.Fakes.RequestsTo("anthropic").Count);
        Assert.Equal(balance, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Theory]
    [InlineData("anthropic/claude-sonnet-4.6")]
    [InlineData("google/gemini-2.5-flash")]
    public async Task An_OpenAI_file_id_cannot_leave_OpenAI_and_is_refused_before_sending(string model)
    {
        var fields = new Dictionary<string, object?> { ["messages"] = new object[] { new { role = "user", content = new object[] { new { type = "text", text = "Summarise." }, new { type = "file", file = new { file_id = "file-abc123" } } } } } };
        await DialectCalls.AssertRefusedAsync(fixture, CallerDialect.OpenAi, model, fields, "file-abc123", "file_data");
    }

    [Theory]
    [InlineData(CallerDialect.OpenAi)]
    [InlineData(CallerDialect.Anthropic)]
    [InlineData(CallerDialect.Gemini)]
    public async Task A_PDF_to_a_model_without_pdf_is_a_400_in_the_callers_dialect_naming_model_and_capability(CallerDialect caller)
        => await DialectCalls.AssertRefusedAsync(fixture, caller, "deepseek/deepseek-chat", PdfMessage(caller), "deepseek/deepseek-chat", "PDF");
}

/// <summary>A gateway allowed to download media from the fakes' loopback address (an operator's intranet setting).</summary>
public sealed class MediaGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?> { ["ARouter:Media:AllowPrivateAddresses"] = "true" };
}
