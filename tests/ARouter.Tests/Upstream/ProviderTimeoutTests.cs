using System.Net;
using System.Net.Sockets;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Pipeline;

namespace ARouter.Tests.Upstream;

/// <summary>
/// Generous defaults, and each provider under test with one short limit of its own (<c>ARouter:Upstream:Providers:{slug}</c>):
/// NVIDIA and Mistral 0.5 s to the first byte, MiniMax 1 s of silence mid-stream, Cohere 3 s in total, and OpenAI
/// 0.5 s to connect — to a listener whose accept queue is full, so the connection never completes (a black hole).
/// </summary>
public sealed class PerProviderTimeoutsGateway : GatewayWithFakes
{
    private readonly Socket _blackHole = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Socket _queueFiller = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public PerProviderTimeoutsGateway()
    {
        _blackHole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // Linux queues backlog + 1 handshakes; once that one is taken (and never accepted), further SYNs go unanswered.
        _blackHole.Listen(0);
        _queueFiller.Connect(_blackHole.LocalEndPoint!);
    }

    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:Upstream:FirstByteTimeoutSeconds"] = "30",
        ["ARouter:Upstream:StreamIdleTimeoutSeconds"] = "30",
        ["ARouter:Upstream:Providers:nvidia:FirstByteTimeoutSeconds"] = "0.5",
        ["ARouter:Upstream:Providers:mistral:FirstByteTimeoutSeconds"] = "0.5",
        ["ARouter:Upstream:Providers:MINIMAX:StreamIdleTimeoutSeconds"] = "1",
        ["ARouter:Upstream:Providers:cohere:TotalTimeoutSeconds"] = "3",
        ["ARouter:Upstream:Providers:openai:ConnectTimeoutSeconds"] = "0.5",
        ["OPENAI_BASE_URL"] = $"http://127.0.0.1:{((IPEndPoint)_blackHole.LocalEndPoint!).Port}/openai",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _queueFiller.Dispose();
        _blackHole.Dispose();
    }
}

public sealed class ProviderTimeoutTests(PerProviderTimeoutsGateway fixture) : IClassFixture<PerProviderTimeoutsGateway>
{
    private const string DeepSeek = "deepseek/deepseek-chat";
    private static string ModelOf(string provider) => GatewayWithFakes.ChatModelOf(provider).Id;

    [Fact]
    public async Task A_providers_own_first_byte_limit_applies_to_it_and_not_to_others()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        using var scripted = fixture.Fakes.Scripted("nvidia", FakeScript.Default with { Delay = TimeSpan.FromSeconds(2) });
        using var scripted2 = fixture.Fakes.Scripted("xai", FakeScript.Default with { Delay = TimeSpan.FromSeconds(1) });
        var slow = await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [ModelOf("nvidia")], stream: false);
        var patient = await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [ModelOf("xai")], stream: false);

        Assert.Equal(504, slow.Status);
        Assert.Contains("'nvidia' did not answer within 0.5 s", slow.Error);
        Assert.Equal(200, patient.Status);
        Assert.Equal(5 - patient.Cost, await fixture.Gateway.BalanceAsync(account.Key));
        Assert.Single(await CallerDialects.ChargesAsync(fixture.Gateway, account.Key));
    }

    [Fact]
    public async Task A_connection_not_accepted_within_the_connect_limit_fails_fast_and_falls_back()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);

        var alone = await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [ModelOf("openai")], stream: false);
        var withFallback = await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [ModelOf("openai"), DeepSeek], stream: true);

        Assert.Equal(502, alone.Status);
        Assert.Contains("no connection within 0.5 s", alone.Error);
        Assert.Equal(200, withFallback.Status);
        Assert.Equal(DeepSeek, withFallback.Model);
        Assert.Equal(5 - withFallback.Cost, await fixture.Gateway.BalanceAsync(account.Key));
    }

    public static TheoryData<string, FakeScript, int> FailuresBeforeTheFirstEvent => new()
    {
        // Headers sent, then silence past the 0.5 s first-byte limit.
        { "mistral", FakeScript.Default with { StallAfterChunks = 0, Stall = TimeSpan.FromSeconds(5) }, 504 },
        { "groq", FakeScript.Default with { CutAfterChunks = 0 }, 502 },
        { "dashscope", FakeScript.Default with { ErrorEventAfterChunks = 0, FailMessage = "overloaded 5031" }, 502 },
    };

    [Theory]
    [MemberData(nameof(FailuresBeforeTheFirstEvent))]
    public async Task A_stream_that_fails_before_its_first_event_reaches_the_caller_still_falls_back(string provider, FakeScript script, int attemptStatus)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        using var scripted = fixture.Fakes.Scripted(provider, script);
        var answer = await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [ModelOf(provider), DeepSeek], stream: true);

        Assert.Equal(200, answer.Status);
        Assert.Equal(DeepSeek, answer.Model);
        Assert.True(answer.CleanEnd, answer.Error);
        Assert.Equal(5 - answer.Cost, await fixture.Gateway.BalanceAsync(account.Key));
        Assert.Single(await CallerDialects.ChargesAsync(fixture.Gateway, account.Key));
        var generation = await CallerDialects.GenerationAsync(fixture.Gateway, account.Key, answer.GenerationId!);
        var attempt = Assert.Single(generation.GetProperty("attempts").EnumerateArray());
        Assert.Equal(ModelOf(provider), attempt.GetProperty("model").GetString());
        Assert.Equal(attemptStatus, attempt.GetProperty("status").GetInt32());
    }

    public static TheoryData<CallerDialect> Callers => new(CallerDialect.OpenAi, CallerDialect.Anthropic, CallerDialect.Gemini);

    private static readonly FakeScript LongReply = FakeScript.Default with
    {
        Reply = string.Join(" ", Enumerable.Range(1, 20).Select(i => "word" + i)),
        Chunks = 20,
        // What the provider would have reported at the end; a cut stream must not be charged for it.
        CompletionTokens = 500,
    };

    [Theory]
    [MemberData(nameof(Callers))]
    public async Task A_stream_that_goes_silent_mid_way_ends_with_the_dialects_error_event_and_charges_only_what_was_delivered(CallerDialect caller)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        // The role chunk and two pieces of text, then silence past MiniMax's 1 s idle limit.
        using var scripted = fixture.Fakes.Scripted("minimax", LongReply with { StallAfterChunks = 3, Stall = TimeSpan.FromSeconds(10) });
        var answer = await CallerDialects.SendAsync(fixture.Gateway, caller, account.Key, [ModelOf("minimax")], stream: true);

        Assert.Equal(200, answer.Status);
        Assert.False(answer.CleanEnd);
        Assert.Contains("'minimax' sent nothing for 1 s", answer.Error);
        await AssertChargedOnceForDeliveredTokensAsync(account, answer, "minimax");
    }

    [Theory]
    [MemberData(nameof(Callers))]
    public async Task A_stream_that_keeps_trickling_past_the_total_limit_is_stopped_with_an_error_event(CallerDialect caller)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        // 20 pieces 0.4 s apart: never idle, but 8 s in all against Cohere's 3 s total.
        using var scripted = fixture.Fakes.Scripted("cohere", LongReply with { ChunkDelay = TimeSpan.FromMilliseconds(400) });
        var answer = await CallerDialects.SendAsync(fixture.Gateway, caller, account.Key, [ModelOf("cohere")], stream: true);

        Assert.Equal(200, answer.Status);
        Assert.False(answer.CleanEnd);
        Assert.Contains("'cohere' did not finish within the total time limit of 3 s", answer.Error);
        await AssertChargedOnceForDeliveredTokensAsync(account, answer, "cohere");
    }

    /// <summary>One charge, for the prompt and the text that reached the caller as the gateway counted it — not the provider's full figure.</summary>
    private async Task AssertChargedOnceForDeliveredTokensAsync(TestAccount account, CallerAnswer answer, string provider)
    {
        Assert.NotNull(answer.Cost);
        Assert.True(answer.ContentEvents > 0, "some text reached the caller");
        var generation = await CallerDialects.GenerationAsync(fixture.Gateway, account.Key, answer.GenerationId!);
        Assert.True(generation.GetProperty("tokens_counted_by_gateway").GetBoolean());
        var completion = generation.GetProperty("completion_tokens").GetInt32();
        Assert.InRange(completion, 1, 30);
        var usage = new TokenUsage(generation.GetProperty("prompt_tokens").GetInt32(), completion);
        var expected = Money.FromNanos(CostCalculator.CostNanos(GatewayWithFakes.ChatModelOf(provider).Price, usage));
        Assert.Equal(expected, answer.Cost);
        Assert.Equal(expected, generation.GetProperty("cost").GetDecimal());
        var charge = Assert.Single(await CallerDialects.ChargesAsync(fixture.Gateway, account.Key));
        Assert.Equal(-expected, charge.GetProperty("amount").GetDecimal());
        Assert.Equal(5 - expected, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
