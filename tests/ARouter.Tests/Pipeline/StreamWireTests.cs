using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Tests.Endpoints;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Pipeline;

/// <summary>
/// An OpenAI-wire stream as it crosses the wire — events split inside a JSON escape, between the two escapes of a
/// surrogate pair, inside a multi-byte character — with escaped quotes and unicode, thinking deltas and a usage-only
/// last chunk, relayed to each caller dialect: the caller reads exactly the text and thinking that were sent, the
/// usage reported once at the end with its cost, and what was counted (when the provider reports nothing) is the
/// unescaped text.
/// </summary>
public sealed class StreamWireTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private const string Model = "openai/gpt-5.4";
    private const string Thinking = "Weigh \"both\" — é";
    private const string Text = "café \"quoted\" \\ back😀 中文 line\nbreak\ttab </script>";

    private static readonly string[] Chunks =
    [
        """{"id":"chatcmpl-w","object":"chat.completion.chunk","created":1,"model":"gpt-5.4","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""",
        """{"id":"chatcmpl-w","object":"chat.completion.chunk","created":1,"model":"gpt-5.4","choices":[{"index":0,"delta":{"reasoning_content":"Weigh \"both\" \u2014 \u00e9"},"finish_reason":null}]}""",
        """{"id":"chatcmpl-w","object":"chat.completion.chunk","created":1,"model":"gpt-5.4","choices":[{"index":0,"delta":{"content":"caf\u00e9 \"quoted\" \\ back"},"finish_reason":null}]}""",
        """{"id":"chatcmpl-w","object":"chat.completion.chunk","created":1,"model":"gpt-5.4","choices":[{"index":0,"delta":{"content":"\ud83d\ude00 中文 line\nbreak\ttab <\/script>"},"finish_reason":null}]}""",
        """{"id":"chatcmpl-w","object":"chat.completion.chunk","created":1,"model":"gpt-5.4","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""",
    ];

    private const string UsageChunk = """{"id":"chatcmpl-w","object":"chat.completion.chunk","created":1,"model":"gpt-5.4","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":23,"total_tokens":34,"completion_tokens_details":{"reasoning_tokens":5}}}""";

    [Theory]
    [InlineData(CallerDialect.OpenAi)]
    [InlineData(CallerDialect.Anthropic)]
    [InlineData(CallerDialect.Gemini)]
    public async Task Escapes_and_characters_split_across_the_wire_reach_the_caller_exactly_and_usage_comes_once_at_the_end(CallerDialect caller)
    {
        var (account, events) = await StreamAsync(caller, [.. Chunks, UsageChunk]);

        var (thinking, text, usage) = Read(caller, events);
        Assert.Equal(Thinking, thinking);
        Assert.Equal(Text, text);
        Assert.Equal((11, 23), usage);
        var cost = DialectCalls.Cost(Model, new TokenUsage(11, 23, 0, 5));
        Assert.Equal(cost, DialectCalls.ReportedCost(caller, string.Join("\n", events.Select(e => "data: " + e.GetRawText())), stream: true));
        await DialectCalls.AssertChargedAsync(fixture.Gateway, account, 5, Model, cost);
        if (caller == CallerDialect.OpenAi)
        {
            // The provider's usage-only chunk is not relayed: usage appears once, in the gateway's closing chunk, with the cost.
            Assert.Single(events, e => e.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object);
            Assert.Equal(5, events.Single(e => e.TryGetProperty("usage", out _)).GetProperty("usage").GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());
            Assert.All(events, e => Assert.StartsWith("gen-", e.GetProperty("id").GetString()));
        }
    }

    [Theory]
    [InlineData(CallerDialect.OpenAi)]
    [InlineData(CallerDialect.Anthropic)]
    [InlineData(CallerDialect.Gemini)]
    public async Task Without_usage_from_the_provider_the_unescaped_text_and_thinking_are_counted(CallerDialect caller)
    {
        var (account, events) = await StreamAsync(caller, Chunks);

        var (thinking, text, usage) = Read(caller, events);
        Assert.Equal(Text, text);
        Assert.Equal(Thinking, thinking);
        var completion = new TokenEstimator().Count(Thinking + Text);
        Assert.Equal(completion, usage.Completion);
        var charge = await DialectCalls.LastTransactionAsync(fixture.Gateway, account.Key);
        Assert.Equal(-DialectCalls.Cost(Model, new TokenUsage(usage.Prompt, completion)), charge.GetProperty("amount").GetDecimal());
    }

    /// <summary>
    /// Events that arrive in one read go out together (one flush), and at once: none waits for the provider's next
    /// write, here a second away.
    /// </summary>
    [Theory]
    [InlineData(CallerDialect.OpenAi)]
    [InlineData(CallerDialect.Anthropic)]
    [InlineData(CallerDialect.Gemini)]
    public async Task Events_that_arrive_together_reach_the_caller_before_the_provider_writes_again(CallerDialect caller)
    {
        byte[] burst = Encoding.UTF8.GetBytes(string.Concat(Chunks[..3].Select(c => $"data: {c}\n\n")));
        byte[] rest = Encoding.UTF8.GetBytes($"data: {Chunks[3]}\n\ndata: {Chunks[4]}\n\ndata: {UsageChunk}\n\ndata: [DONE]\n\n");
        var account = await fixture.Gateway.CreateAccountAsync(5);
        using var scope = fixture.Fakes.Scripted("openai", FakeScript.Default with { WirePieces = [burst, rest], WirePieceDelay = TimeSpan.FromSeconds(1) });
        using var request = SayHiRequest(caller, stream: true, account.Key);
        var piecesBefore = fixture.Fakes.WirePiecesStarted;
        using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var arrivals = new List<(int PiecesStarted, string Data)>();
        await foreach (var e in ARouter.Dialects.Sse.SseReader.ReadAsync(body, () => CancellationToken.None))
            arrivals.Add((fixture.Fakes.WirePiecesStarted - piecesBefore, Encoding.UTF8.GetString(e.Data.Span)));

        // The burst's last text reached the caller while the provider had begun writing only the burst; a relay that held
        // it until its next read would deliver it only after the second piece, a second later.
        Assert.Equal(1, arrivals.First(a => a.Data.Contains("caf", StringComparison.Ordinal)).PiecesStarted);
        Assert.Equal(2, arrivals.First(a => a.Data.Contains("line", StringComparison.Ordinal)).PiecesStarted);
    }

    public static TheoryData<CallerDialect, string> CallersAndBrokenText()
    {
        var data = new TheoryData<CallerDialect, string>();
        foreach (var caller in DialectCalls.Callers)
        {
            data.Add(caller, "lone surrogate escape");
            data.Add(caller, "invalid UTF-8");
        }
        return data;
    }

    /// <summary>Regression: a lone surrogate made the relay throw, cutting the stream silently and charging nothing.</summary>
    [Theory]
    [MemberData(nameof(CallersAndBrokenText))]
    public async Task An_event_that_is_not_valid_Unicode_ends_the_stream_with_an_error_and_what_came_before_is_charged(CallerDialect caller, string broken)
    {
        var bad = broken == "invalid UTF-8"
            ? [.. "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"bad "u8, 0xC3, 0x28, .. "\"},\"finish_reason\":null}]}\n\n"u8]
            : Encoding.UTF8.GetBytes("data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"bad \\ud800 x\"},\"finish_reason\":null}],\"system_fingerprint\":\"\\udc00\"}\n\n");
        byte[] good = Encoding.UTF8.GetBytes("data: " + Chunks[2] + "\n\n");
        byte[] rest = Encoding.UTF8.GetBytes("data: " + Chunks[4] + "\n\ndata: " + UsageChunk + "\n\ndata: [DONE]\n\n");

        var (account, events) = await StreamAsync(caller, [good, bad, rest]);

        var (_, text, _) = Read(caller, events);
        Assert.Equal("café \"quoted\" \\ back", text);
        // Every dialect's error event carries error.message.
        Assert.Contains("not valid Unicode", events.Last().GetProperty("error").GetProperty("message").GetString());
        var charge = await DialectCalls.LastTransactionAsync(fixture.Gateway, account.Key);
        Assert.Equal("charge", charge.GetProperty("type").GetString());
        Assert.True(charge.GetProperty("amount").GetDecimal() < 0);
        Assert.True(await fixture.Gateway.BalanceAsync(account.Key) < 5);
    }

    /// <summary>Regression: the same body not streamed was a 500 — for an OpenAI caller after half the answer was written.</summary>
    [Theory]
    [MemberData(nameof(CallersAndBrokenText))]
    public async Task A_completion_that_is_not_valid_Unicode_is_a_502_in_the_callers_dialect_and_costs_nothing(CallerDialect caller, string broken)
    {
        byte[] bad = broken == "invalid UTF-8"
            ? [.. "{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-5.4\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"bad "u8, 0xC3, 0x28, .. "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,\"total_tokens\":8}}"u8]
            : Encoding.UTF8.GetBytes("{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-5.4\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"bad \\ud800 x\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,\"total_tokens\":8}}");
        var account = await fixture.Gateway.CreateAccountAsync(5);
        using var scope = fixture.Fakes.Scripted("openai", FakeScript.Default with { WirePieces = [bad] });
        var (response, body) = await SayHiAsync(caller, stream: false, account.Key);
        using var _ = response;

        Assert.True((int)response.StatusCode == 502, $"{(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        Assert.Contains("not valid Unicode", json.RootElement.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    private Task<(TestAccount Account, List<JsonElement> Events)> StreamAsync(CallerDialect caller, string[] chunks) => StreamAsync(caller, Split(chunks));

    private async Task<(TestAccount Account, List<JsonElement> Events)> StreamAsync(CallerDialect caller, List<byte[]> pieces)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        using var scope = fixture.Fakes.Scripted("openai", FakeScript.Default with { WirePieces = pieces });
        var (response, body) = await SayHiAsync(caller, stream: true, account.Key);
        using var _ = response;
        Assert.True(response.IsSuccessStatusCode, body);
        return (account, DialectCalls.Events(body));
    }

    private async Task<(HttpResponseMessage Response, string Body)> SayHiAsync(CallerDialect caller, bool stream, string key)
    {
        using var request = SayHiRequest(caller, stream, key);
        var response = await fixture.Gateway.Client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private static HttpRequestMessage SayHiRequest(CallerDialect caller, bool stream, string key)
    {
        var fields = new Dictionary<string, object?>();
        if (caller == CallerDialect.Gemini) fields["contents"] = new[] { new { role = "user", parts = new[] { new { text = "hi" } } } };
        else fields["messages"] = new[] { new { role = "user", content = "hi" } };
        return DialectCalls.Request(caller, Model, DialectCalls.Body(caller, Model, stream, 100, fields), stream, key);
    }

    /// <summary>The stream's bytes cut inside each event: in an escape, between a surrogate pair's escapes, inside 中.</summary>
    private static List<byte[]> Split(string[] chunks)
    {
        var wire = Encoding.UTF8.GetBytes(string.Concat(chunks.Select(c => $"data: {c}\n\n")) + "data: [DONE]\n\n");
        var cuts = new List<int>();
        foreach (var marker in new[] { "caf\\u00e9", "\\ud83d\\ude00", "中", "\\\"quoted", "\\u2014" })
        {
            var at = IndexOf(wire, Encoding.UTF8.GetBytes(marker));
            Assert.True(at >= 0, marker);
            cuts.Add(at + (marker is "中" or "\\\"quoted" ? 1 : marker.Length / 2));
        }
        cuts.Sort();
        var pieces = new List<byte[]>();
        var start = 0;
        foreach (var cut in cuts.Append(wire.Length))
        {
            pieces.Add(wire[start..cut]);
            start = cut;
        }
        return pieces;
    }

    private static int IndexOf(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle);

    /// <summary>The thinking and text the caller assembled, and the prompt and completion counts it was told.</summary>
    private static (string Thinking, string Text, (int Prompt, int Completion) Usage) Read(CallerDialect caller, List<JsonElement> events)
    {
        var thinking = new StringBuilder();
        var text = new StringBuilder();
        (int, int) usage = default;
        foreach (var e in events)
        {
            switch (caller)
            {
                case CallerDialect.OpenAi:
                    if (!e.TryGetProperty("choices", out _)) break;
                    if (e.GetProperty("choices").GetArrayLength() > 0 && e.GetProperty("choices")[0].GetProperty("delta") is var delta)
                    {
                        if (delta.TryGetProperty("reasoning_content", out var r)) thinking.Append(r.GetString());
                        if (delta.TryGetProperty("content", out var c)) text.Append(c.GetString());
                    }
                    if (e.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object) usage = (u.GetProperty("prompt_tokens").GetInt32(), u.GetProperty("completion_tokens").GetInt32());
                    break;
                case CallerDialect.Anthropic:
                    if (!e.TryGetProperty("type", out _)) break;
                    if (e.GetProperty("type").GetString() == "content_block_delta")
                    {
                        var d = e.GetProperty("delta");
                        if (d.GetProperty("type").GetString() == "thinking_delta") thinking.Append(d.GetProperty("thinking").GetString());
                        if (d.GetProperty("type").GetString() == "text_delta") text.Append(d.GetProperty("text").GetString());
                    }
                    if (e.GetProperty("type").GetString() == "message_delta")
                    {
                        var mu = e.GetProperty("usage");
                        usage = (mu.GetProperty("input_tokens").GetInt32() + mu.GetProperty("cache_read_input_tokens").GetInt32() + mu.GetProperty("cache_creation_input_tokens").GetInt32(), mu.GetProperty("output_tokens").GetInt32());
                    }
                    break;
                default:
                    if (!e.TryGetProperty("candidates", out _)) break;
                    foreach (var part in e.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts").EnumerateArray())
                        if (part.TryGetProperty("text", out var t)) (part.TryGetProperty("thought", out var th) && th.GetBoolean() ? thinking : text).Append(t.GetString());
                    if (e.TryGetProperty("usageMetadata", out var g)) usage = (g.GetProperty("promptTokenCount").GetInt32(), g.GetProperty("candidatesTokenCount").GetInt32() + (g.TryGetProperty("thoughtsTokenCount", out var tt) ? tt.GetInt32() : 0));
                    break;
            }
        }
        return (thinking.ToString(), text.ToString(), usage);
    }
}
