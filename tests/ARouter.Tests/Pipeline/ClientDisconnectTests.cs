using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Pipeline;

/// <summary>
/// A caller that goes away cancels the provider's request at once — the fake provider sees its connection close
/// before it has finished — and pays, exactly once, for what reached it: nothing before the first byte, the prompt
/// and the delivered text mid-stream.
/// </summary>
public sealed class ClientDisconnectTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    public static TheoryData<CallerDialect> Callers => new(CallerDialect.OpenAi, CallerDialect.Anthropic, CallerDialect.Gemini);

    [Theory]
    [MemberData(nameof(Callers))]
    public async Task A_caller_leaving_mid_stream_cancels_the_upstream_call_and_pays_once_for_what_it_got(CallerDialect caller)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var model = GatewayWithFakes.ChatModelOf("mistral");
        var cancelledBefore = fixture.Fakes.CancelledRequestsTo("mistral");
        using var scripted = fixture.Fakes.Scripted("mistral", FakeScript.Default with
        {
            Reply = string.Join(" ", Enumerable.Range(1, 40).Select(i => "word" + i)),
            Chunks = 40,
            ChunkDelay = TimeSpan.FromMilliseconds(100),
            CompletionTokens = 500,
        });
        using (var request = CallerDialects.Request(caller, account.Key, [model.Id], stream: true))
        using (var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.True(response.IsSuccessStatusCode);
            await using var body = await response.Content.ReadAsStreamAsync();
            var seen = 0;
            await foreach (var _ in SseReader.ReadAsync(body, () => CancellationToken.None))
                if (++seen == 3) break;
        }

        await CallerDialects.EventuallyAsync(() => Task.FromResult(fixture.Fakes.CancelledRequestsTo("mistral") > cancelledBefore), "the provider sees its request cancelled");
        await CallerDialects.EventuallyAsync(async () => (await CallerDialects.ChargesAsync(fixture.Gateway, account.Key)).Count > 0, "the delivered part is charged");
        await Task.Delay(300);
        var charge = Assert.Single(await CallerDialects.ChargesAsync(fixture.Gateway, account.Key));
        var generation = await CallerDialects.GenerationAsync(fixture.Gateway, account.Key, charge.GetProperty("generation_id").GetString()!);
        Assert.Equal(499, generation.GetProperty("status").GetInt32());
        Assert.True(generation.GetProperty("tokens_counted_by_gateway").GetBoolean());
        var usage = new TokenUsage(generation.GetProperty("prompt_tokens").GetInt32(), generation.GetProperty("completion_tokens").GetInt32());
        Assert.InRange(usage.CompletionTokens, 1, 60);
        var cost = Money.FromNanos(CostCalculator.CostNanos(model.Price, usage));
        Assert.Equal(-cost, charge.GetProperty("amount").GetDecimal());
        Assert.Equal(5 - cost, await fixture.Gateway.BalanceAsync(account.Key));
    }

    public static TheoryData<CallerDialect, bool, bool> BeforeTheFirstByte()
    {
        var data = new TheoryData<CallerDialect, bool, bool>();
        foreach (var caller in (CallerDialect[])[CallerDialect.OpenAi, CallerDialect.Anthropic, CallerDialect.Gemini])
        {
            data.Add(caller, false, false);
            data.Add(caller, true, false);
            // A stream whose headers came but whose first event has not.
            data.Add(caller, true, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BeforeTheFirstByte))]
    public async Task A_caller_leaving_before_the_first_byte_cancels_the_upstream_call_and_pays_nothing(CallerDialect caller, bool stream, bool afterTheHeaders)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var cancelledBefore = fixture.Fakes.CancelledRequestsTo("kimi");
        var calls = fixture.Fakes.RequestsTo("kimi").Count;
        using var scripted = fixture.Fakes.Scripted("kimi", afterTheHeaders
            ? FakeScript.Default with { StallAfterChunks = 0, Stall = TimeSpan.FromSeconds(20) }
            : FakeScript.Default with { Delay = TimeSpan.FromSeconds(20) });
        using var leave = new CancellationTokenSource();
        using var request = CallerDialects.Request(caller, account.Key, [GatewayWithFakes.ChatModelOf("kimi").Id], stream);
        var sending = fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
        await CallerDialects.EventuallyAsync(() => Task.FromResult(fixture.Fakes.RequestsTo("kimi").Count > calls), "the request reaches the provider");
        await Task.Delay(200);
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);

        // Long before the provider's 20 s would have passed, it sees the gateway hang up.
        await CallerDialects.EventuallyAsync(() => Task.FromResult(fixture.Fakes.CancelledRequestsTo("kimi") > cancelledBefore), "the provider sees its request cancelled");
        await Task.Delay(300);
        Assert.Empty(await CallerDialects.ChargesAsync(fixture.Gateway, account.Key));
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
