using Xunit.Abstractions;
using System.Text;
using ARouter.Billing;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Passthrough;

/// <summary>Native streams pass through event by event, unchanged, while usage is read on the way.</summary>
public sealed class PassthroughStreamingTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private const string AnthropicStream = """{"model":"claude-sonnet-4-6","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

    [Theory]
    [InlineData("anthropic", "/v1/messages", AnthropicStream)]
    [InlineData("google", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", """{"contents":[{"parts":[{"text":"Hi"}]}]}""")]
    [InlineData("deepseek", "/chat/completions", """{"model":"deepseek-flash","stream":true,"messages":[{"role":"user","content":"Hi"}]}""")]
    public async Task Each_event_arrives_while_the_provider_is_still_sending(string slug, string path, string body)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script(slug, FakeScript.Default with { Chunks = 4, ChunkDelay = TimeSpan.FromMilliseconds(400) });
        try
        {
            using var request = PassthroughCalls.Request(HttpMethod.Post, "/" + slug + path, account.Key, body);
            using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            await using var stream = await response.Content.ReadAsStreamAsync();
            await foreach (var _ in ARouter.Dialects.Sse.SseReader.ReadAsync(stream, () => CancellationToken.None))
            {
                // The first event reached us while the provider was still writing the rest.
                Assert.Equal(1, fixture.Fakes.OpenStreams);
                break;
            }
        }
        finally
        {
            fixture.Fakes.Script(slug, FakeScript.Default);
        }
    }

    [Fact]
    public async Task An_anthropic_stream_keeps_its_named_events_in_order()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("anthropic", FakeScript.Default with { Chunks = 3 });
        try
        {
            var (status, text, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/anthropic/v1/messages", account.Key, AnthropicStream));

            Assert.Equal(200, status);
            var names = text.Split('\n').Where(l => l.StartsWith("event: ", StringComparison.Ordinal)).Select(l => l[7..]).ToList();
            Assert.Equal(["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"], names);
            Assert.DoesNotContain("[DONE]", text);
        }
        finally
        {
            fixture.Fakes.Script("anthropic", FakeScript.Default);
        }
    }

    [Fact]
    public async Task A_stream_that_breaks_off_with_an_error_event_is_charged_for_what_anthropic_reported()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("anthropic", FakeScript.Default with { PromptTokens = 300, Chunks = 4, ErrorEventAfterChunks = 2 });
        try
        {
            var (status, text, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/anthropic/v1/messages", account.Key, AnthropicStream));

            Assert.Equal(200, status);
            Assert.Contains("event: error", text);
            // message_start reported 300 input tokens and 1 output token before the error.
            await PassthroughCalls.AssertBalanceAsync(fixture.Gateway, account.Key, 5 - PassthroughCalls.Cost("anthropic/claude-sonnet-4.6", new TokenUsage(300, 1)));
        }
        finally
        {
            fixture.Fakes.Script("anthropic", FakeScript.Default);
        }
    }

    [Fact]
    public async Task A_stream_without_usage_is_charged_for_the_tokens_the_gateway_counts()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        // OpenAI reports stream usage only when asked with stream_options.include_usage; this caller did not ask.
        var (status, text, response) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Post, "/openai/v1/chat/completions", account.Key,
            """{"model":"gpt-5.4","stream":true,"messages":[{"role":"user","content":"Hi"}]}"""));

        Assert.Equal(200, status);
        Assert.DoesNotContain("\"usage\":{", text);
        var generation = await PassthroughCalls.GenerationAsync(fixture.Gateway, account.Key, response);
        Assert.True(generation.GetProperty("tokens_counted_by_gateway").GetBoolean());
        var completion = new TokenEstimator().Count(FakeScript.Default.Reply);
        Assert.Equal(completion, generation.GetProperty("completion_tokens").GetInt32());
        var prompt = generation.GetProperty("prompt_tokens").GetInt32();
        Assert.True(prompt > 0);
        var expected = PassthroughCalls.Cost("openai/gpt-5.4", new TokenUsage(prompt, completion));
        Assert.Equal(expected, generation.GetProperty("cost").GetDecimal());
        await PassthroughCalls.AssertBalanceAsync(fixture.Gateway, account.Key, 5 - expected);
    }

    [Fact]
    public async Task A_client_that_leaves_mid_stream_is_charged_once_for_the_usage_seen()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script("anthropic", FakeScript.Default with { PromptTokens = 400, Chunks = 6, ChunkDelay = TimeSpan.FromMilliseconds(300) });
        try
        {
            using (var request = PassthroughCalls.Request(HttpMethod.Post, "/anthropic/v1/messages", account.Key, AnthropicStream))
            using (var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
            {
                await using var stream = await response.Content.ReadAsStreamAsync();
                var buffer = new byte[1];
                // message_start is the first thing written; once a byte of it is here, leave.
                Assert.Equal(1, await stream.ReadAsync(buffer));
            }
            await PassthroughCalls.AssertBalanceAsync(fixture.Gateway, account.Key, 5 - PassthroughCalls.Cost("anthropic/claude-sonnet-4.6", new TokenUsage(400, 1)));
            // And only once: the balance stays there.
            await Task.Delay(300);
            Assert.Equal(5 - PassthroughCalls.Cost("anthropic/claude-sonnet-4.6", new TokenUsage(400, 1)), await fixture.Gateway.BalanceAsync(account.Key));
        }
        finally
        {
            fixture.Fakes.Script("anthropic", FakeScript.Default);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Runs alone, so process-wide allocation figures mean something";
}

/// <summary>A response far larger than the tap's parse limit streams straight through and is still billed.</summary>
[Collection(AloneCollection.Name)]
public sealed class PassthroughLargeBodyTests(GatewayWithFakes fixture, ITestOutputHelper output) : IClassFixture<GatewayWithFakes>
{
    private const long FiftyMiB = 50L * 1024 * 1024;

    [Fact]
    public async Task A_50_MiB_response_streams_through_without_being_buffered_and_usage_in_its_tail_is_billed()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        try
        {
            // One small call first: the first request loads the tokenizer's vocabulary (~50 MiB, once per process).
            var (warmStatus, _, _) = await PassthroughCalls.SendAsync(fixture.Gateway, PassthroughCalls.Request(HttpMethod.Get, "/openai/v1/models", account.Key));
            Assert.Equal(200, warmStatus);
            fixture.Fakes.Script("openai", FakeScript.Default with { LargeBodyBytes = FiftyMiB, PromptTokens = 900, CompletionTokens = 4_000 });
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            using var request = PassthroughCalls.Request(HttpMethod.Post, "/openai/v1/chat/completions", account.Key, """{"model":"gpt-5.4","messages":[{"role":"user","content":"Write a lot."}]}""");
            using var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(200, (int)response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync();

            var buffer = new byte[64 * 1024];
            var total = 0L;
            while (total < buffer.Length) total += await body.ReadAsync(buffer.AsMemory((int)total));
            // 50 MiB cannot sit in socket buffers: had the gateway buffered the body, the fake would be done by now.
            Assert.Equal(0, fixture.Fakes.LargeBodiesFinished);
            Assert.StartsWith("{\"id\":\"chatcmpl-large\"", Encoding.UTF8.GetString(buffer, 0, 40));

            int read;
            while ((read = await body.ReadAsync(buffer)) > 0) total += read;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            output.WriteLine($"{total} bytes through; {allocated / (1024.0 * 1024):0.0} MiB allocated in the whole test process (gateway, fake and client)");

            Assert.True(total > FiftyMiB);
            Assert.Equal(1, fixture.Fakes.LargeBodiesFinished);
            // Buffering the body would allocate at least its 50 MiB; the tap keeps at most a few MiB.
            Assert.True(allocated < 32L * 1024 * 1024, $"allocated {allocated} bytes for a {total}-byte response");
            await PassthroughCalls.AssertBalanceAsync(fixture.Gateway, account.Key, 5 - PassthroughCalls.Cost("openai/gpt-5.4", new TokenUsage(900, 4_000)));
        }
        finally
        {
            fixture.Fakes.Script("openai", FakeScript.Default);
        }
    }
}
