using ARouter.Dialects.Canonical;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Pipeline;

namespace ARouter.Tests.Upstream;

/// <summary>A gateway whose retry budget holds two retries per provider (plus 10 % of requests), with a short backoff; no breaker in the way.</summary>
public sealed class SmallRetryBudgetGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:Upstream:Retry:BudgetBurst"] = "2",
        ["ARouter:Upstream:Retry:BackoffMilliseconds"] = "50",
        ["ARouter:Health:MinimumThroughput"] = "1000",
    };
}

public sealed class RetryTests(SmallRetryBudgetGateway fixture) : IClassFixture<SmallRetryBudgetGateway>
{
    private static string ModelOf(string provider) => GatewayWithFakes.ChatModelOf(provider).Id;

    public static TheoryData<string, FakeScript, int> TransientFailures => new()
    {
        { "xai", FakeScript.Default with { FailStatus = 502, FailFirst = 1 }, 502 },
        { "kimi", FakeScript.Default with { FailStatus = 503, FailFirst = 1 }, 502 },
        { "groq", FakeScript.Default with { FailStatus = 504, FailFirst = 1 }, 504 },
        { "cohere", FakeScript.Default with { FailStatus = 429, RetryAfterSeconds = 1, FailFirst = 1 }, 429 },
        // Anthropic's "overloaded".
        { "anthropic", FakeScript.Default with { FailStatus = 529, FailFirst = 1 }, 502 },
    };

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public async Task A_transient_failure_of_the_last_candidate_is_retried_once_and_the_caller_gets_the_answer(string provider, FakeScript script, int firstStatus)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var calls = fixture.Fakes.RequestsTo(provider).Count;
        using var scripted = fixture.Fakes.Scripted(provider, script);
        var answer = await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [ModelOf(provider)], stream: true);

        Assert.Equal(200, answer.Status);
        Assert.True(answer.CleanEnd, answer.Error);
        Assert.Equal(calls + 2, fixture.Fakes.RequestsTo(provider).Count);
        Assert.Single(await CallerDialects.ChargesAsync(fixture.Gateway, account.Key));
        Assert.Equal(5 - answer.Cost, await fixture.Gateway.BalanceAsync(account.Key));
        // The failed first try is on the record.
        var generation = await CallerDialects.GenerationAsync(fixture.Gateway, account.Key, answer.GenerationId!);
        var attempt = Assert.Single(generation.GetProperty("attempts").EnumerateArray());
        Assert.Equal(firstStatus, attempt.GetProperty("status").GetInt32());
    }

    public static TheoryData<string, FakeScript, int> FinalFailures => new()
    {
        { "nvidia", FakeScript.Default with { FailStatus = 500, FailFirst = 1 }, 502 },
        // Retry-After 7 s is longer than the gateway waits: the caller decides.
        { "dashscope", FakeScript.Default with { FailStatus = 429, FailFirst = 1 }, 429 },
        { "deepseek", FakeScript.Default with { FailStatus = 400, FailFirst = 1 }, 400 },
    };

    [Theory]
    [MemberData(nameof(FinalFailures))]
    public async Task Failures_that_are_not_transient_are_not_retried(string provider, FakeScript script, int expected)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var calls = fixture.Fakes.RequestsTo(provider).Count;
        using var scripted = fixture.Fakes.Scripted(provider, script);
        var answer = await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [ModelOf(provider)], stream: false);

        Assert.Equal(expected, answer.Status);
        Assert.Equal(calls + 1, fixture.Fakes.RequestsTo(provider).Count);
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    [Fact]
    public async Task With_a_fallback_left_a_transient_failure_moves_on_instead_of_retrying()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var calls = fixture.Fakes.RequestsTo("minimax").Count;
        using var scripted = fixture.Fakes.Scripted("minimax", FakeScript.Default with { FailStatus = 503 });
        var answer = await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [ModelOf("minimax"), ModelOf("deepseek")], stream: false);

        Assert.Equal(200, answer.Status);
        Assert.Equal(ModelOf("deepseek"), answer.Model);
        Assert.Equal(calls + 1, fixture.Fakes.RequestsTo("minimax").Count);
    }

    [Fact]
    public async Task During_an_outage_retries_stay_within_the_budget()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var calls = fixture.Fakes.RequestsTo("mistral").Count;
        using var scripted = fixture.Fakes.Scripted("mistral", FakeScript.Default with { FailStatus = 503 });
        const int requests = 20;
        for (var i = 0; i < requests; i++)
            Assert.Equal(502, (await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.OpenAi, account.Key, [ModelOf("mistral")], stream: false)).Status);

        // Two retries in the bucket plus a tenth of a retry per request: at most 4 on top of the 20, however long the outage.
        var upstreamCalls = fixture.Fakes.RequestsTo("mistral").Count - calls;
        Assert.InRange(upstreamCalls, requests + 2, requests + 2 + requests / 10);
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
