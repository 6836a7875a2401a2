using System.ClientModel;
using System.Net;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Tests.FakeUpstream;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace ARouter.Tests.Endpoints;

public sealed class ChatCompletionsTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private ChatClient Sdk(string model, string key) => new(model, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(fixture.Gateway.BaseAddress, "/v1") });

    public static TheoryData<string> Providers => new(GatewayWithFakes.OpenAiWireProviders);

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_OpenAI_SDK_reaches_each_provider_at_its_real_path_with_the_provider_key(string provider)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var model = GatewayWithFakes.ChatModelOf(provider);
        fixture.Fakes.Script(provider, FakeScript.Default);
        var before = fixture.Fakes.RequestsTo(provider).Count;

        var result = await Sdk(model.Id, account.Key).CompleteChatAsync([new UserChatMessage("Say hello.")]);

        Assert.Equal(FakeScript.Default.Reply, result.Value.Content[0].Text);
        Assert.Equal(model.Id, result.Value.Model);
        Assert.StartsWith("gen-", result.Value.Id);
        Assert.Equal(FakeScript.Default.PromptTokens, result.Value.Usage.InputTokenCount);

        using var raw = JsonDocument.Parse(result.GetRawResponse().Content);
        var expectedCost = Money.FromNanos(CostCalculator.CostNanos(model.Price, new TokenUsage(FakeScript.Default.PromptTokens, FakeScript.Default.CompletionTokens, FakeScript.Default.CachedTokens)));
        Assert.Equal(expectedCost, raw.RootElement.GetProperty("usage").GetProperty("cost").GetDecimal());

        var received = fixture.Fakes.RequestsTo(provider).Skip(before).Single();
        Assert.Equal(GatewayWithFakes.Catalog.FindProvider(provider)!.ChatPath, received.Path);
        Assert.Equal("Bearer " + FakeProviders.KeyFor(provider), received.Headers["authorization"]);
        Assert.Equal(model.UpstreamId, received.Json.GetProperty("model").GetString());
        Assert.DoesNotContain("lr_live_", string.Join(' ', received.Headers.Values) + received.Body + received.Query);
        // The gateway's own trace context is not the provider's business (regression: HttpClient forwarded it even with tracing off).
        Assert.DoesNotContain(received.Headers.Keys, name => name.Equals("traceparent", StringComparison.OrdinalIgnoreCase) || name.Equals("tracestate", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Streams_arrive_through_the_SDK_with_usage_from_every_provider(string provider)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var model = GatewayWithFakes.ChatModelOf(provider);
        fixture.Fakes.Script(provider, FakeScript.Default);

        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        string? modelSeen = null;
        await foreach (var update in Sdk(model.Id, account.Key).CompleteChatStreamingAsync([new UserChatMessage("Say hello.")]))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            usage = update.Usage ?? usage;
            modelSeen ??= update.Model;
        }

        Assert.Equal(FakeScript.Default.Reply, text.ToString());
        Assert.Equal(model.Id, modelSeen);
        Assert.NotNull(usage);
        Assert.Equal(FakeScript.Default.PromptTokens, usage.InputTokenCount);
        Assert.Equal(FakeScript.Default.CompletionTokens, usage.OutputTokenCount);
    }

    /// <summary>
    /// Regression: the connection was closed after every OpenAI-wire stream (the body's end after <c>[DONE]</c> was
    /// never read), so each streamed request made a new TCP and TLS handshake with the provider. The fake ends its
    /// body 20 ms after <c>[DONE]</c>; the streams are 200 ms apart, time enough for that end to have been read.
    /// </summary>
    [Theory]
    [MemberData(nameof(Providers))]
    [InlineData("anthropic")]
    [InlineData("google")]
    public async Task Streams_one_after_another_reuse_one_connection_to_the_provider(string provider)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var model = GatewayWithFakes.ChatModelOf(provider);
        using var scope = fixture.Fakes.Scripted(provider, FakeScript.Default with { BodyEndDelay = TimeSpan.FromMilliseconds(20) });
        var before = fixture.Fakes.RequestsTo(provider).Count;

        for (var i = 0; i < 3; i++)
        {
            if (i > 0)
            {
                // The fake ends its body 20 ms after [DONE], and the gateway pools the connection once it has read that end:
                // wait for the fake to have sent it (a loaded test run can take longer than any fixed pause), then a moment more
                // for the gateway to read it (200 ms was once too short in a loaded CI run).
                await fixture.Fakes.RequestsTo(provider)[^1].Answered.WaitAsync(TimeSpan.FromSeconds(10));
                await Task.Delay(500);
            }
            var text = new System.Text.StringBuilder();
            await foreach (var update in Sdk(model.Id, account.Key).CompleteChatStreamingAsync([new UserChatMessage("Say hello.")]))
                foreach (var part in update.ContentUpdate) text.Append(part.Text);
            Assert.Equal(FakeScript.Default.Reply, text.ToString());
        }

        var connections = fixture.Fakes.RequestsTo(provider).Skip(before).Select(r => r.ConnectionId).ToList();
        Assert.Equal(3, connections.Count);
        Assert.Single(connections.Distinct());
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task The_last_chunk_before_done_carries_usage_and_the_charged_cost(string provider)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var model = GatewayWithFakes.ChatModelOf(provider);
        fixture.Fakes.Script(provider, FakeScript.Default);

        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(model.Id, stream: true));
        using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = await GatewayWithFakes.ReadSseAsync(response);

        Assert.Equal("[DONE]", events[^1]);
        using var last = JsonDocument.Parse(events[^2]);
        var usage = last.RootElement.GetProperty("usage");
        Assert.Equal(FakeScript.Default.PromptTokens, usage.GetProperty("prompt_tokens").GetInt32());
        var cost = usage.GetProperty("cost").GetDecimal();
        Assert.True(cost > 0 || model.Price.Prompt == 0);
        var ids = events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement.GetProperty("id").GetString()).Distinct().ToList();
        Assert.Single(ids);
        Assert.StartsWith("gen-", ids[0]);
        Assert.Equal(5 - cost, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Common_OpenAI_fields_reach_each_provider_in_the_form_it_accepts(string provider)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var model = GatewayWithFakes.ChatModelOf(provider);
        var quirks = GatewayWithFakes.Catalog.FindProvider(provider)!.Quirks;
        var body = JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["model"] = model.Id,
            ["messages"] = new[] { new { role = "system", content = "Be brief." }, new { role = "user", content = "Say hello." } },
            ["max_tokens"] = 50,
            ["temperature"] = 0.7,
            ["seed"] = 7,
            ["store"] = false,
            ["stream"] = true,
            ["stream_options"] = new { include_usage = false },
        });

        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, body);
        using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var events = await GatewayWithFakes.ReadSseAsync(response);

        // The fake refuses what the real provider refuses, so a 200 with usage means the body was acceptable.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("[DONE]", events[^1]);
        Assert.True(JsonDocument.Parse(events[^2]).RootElement.GetProperty("usage").GetProperty("cost").GetDecimal() >= 0);
        var sent = fixture.Fakes.RequestsTo(provider)[^1].Json;
        Assert.Equal(50, sent.GetProperty(quirks.MaxTokensField).GetInt32());
        Assert.Equal(0.7, sent.GetProperty("temperature").GetDouble());
        Assert.Equal(7, sent.GetProperty(quirks.RenamedFields.GetValueOrDefault("seed", "seed")).GetInt32());
        foreach (var field in quirks.UnsupportedFields) Assert.False(sent.TryGetProperty(field, out _), $"{provider} refuses '{field}'");
        if (!quirks.RejectsStreamOptions && quirks.StreamUsage == ARouter.Catalog.StreamUsageMode.IncludeUsage)
            Assert.True(sent.GetProperty("stream_options").GetProperty("include_usage").GetBoolean(), "the gateway needs usage to bill, whatever the caller asked");
    }

    /// <summary>With a length the caller's client is done once the bytes are in, not when the gateway has finished its own bookkeeping.</summary>
    [Fact]
    public async Task A_completion_arrives_with_its_content_length_not_chunked()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("deepseek", FakeScript.Default);
        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody("deepseek/deepseek-chat", stream: false));
        using var response = await fixture.Gateway.Client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.TransferEncodingChunked);
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("deepseek/deepseek-chat", json.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public async Task Each_event_is_flushed_as_it_arrives()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("deepseek", FakeScript.Default with { Chunks = 4, ChunkDelay = TimeSpan.FromMilliseconds(400) });
        try
        {
            using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody("deepseek/deepseek-chat", stream: true));
            using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            await using var body = await response.Content.ReadAsStreamAsync();
            await foreach (var _ in ARouter.Dialects.Sse.SseReader.ReadAsync(body, () => CancellationToken.None))
            {
                // The first event reached us while the provider was still writing the rest.
                Assert.Equal(1, fixture.Fakes.OpenStreams);
                break;
            }
        }
        finally
        {
            fixture.Fakes.Script("deepseek", FakeScript.Default);
        }
    }

    [Theory]
    [InlineData("openai/text-embedding-3-small")]
    [InlineData("mistral/mistral-embed")]
    [InlineData("google/gemini-embedding-001")]
    public async Task Embeddings_go_through_the_OpenAI_SDK_and_are_billed(string model)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var client = new EmbeddingClient(model, new ApiKeyCredential(account.Key), new OpenAIClientOptions { Endpoint = new Uri(fixture.Gateway.BaseAddress, "/v1") });

        var result = await client.GenerateEmbeddingsAsync(["first text", "second text"]);

        Assert.Equal(2, result.Value.Count);
        Assert.True(result.Value[0].ToFloats().Length > 0);
        using var raw = JsonDocument.Parse(result.GetRawResponse().Content);
        Assert.Equal(model, raw.RootElement.GetProperty("model").GetString());
        var cost = raw.RootElement.GetProperty("usage").GetProperty("cost").GetDecimal();
        Assert.Equal(5 - cost, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Theory]
    [InlineData("invalid UTF-8")]
    [InlineData("a lone surrogate escape")]
    public async Task An_embeddings_answer_that_is_not_valid_Unicode_is_a_502_and_costs_nothing(string broken)
    {
        // Valid JSON apart from one string: the model name the provider echoes.
        byte[] bad = broken == "invalid UTF-8"
            ? [.. "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,0.2]}],\"model\":\"text-embedding-3-small "u8, 0xC3, 0x28, .. "\",\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}"u8]
            : "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,0.2]}],\"model\":\"text-embedding-3-small \\ud800\",\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}"u8.ToArray();
        var account = await fixture.Gateway.CreateAccountAsync(5);
        using var scope = fixture.Fakes.Scripted("openai", FakeScript.Default with { WirePieces = [bad] });

        var (status, body) = await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/embeddings", account.Key, """{"model":"openai/text-embedding-3-small","input":"hi"}""");

        Assert.True(status == 502, $"{status} {body}");
        Assert.Contains("not valid Unicode", body.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
