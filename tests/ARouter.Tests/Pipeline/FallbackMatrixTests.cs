using System.Net;
using System.Net.Sockets;
using ARouter.Dialects.Canonical;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Pipeline;

/// <summary>
/// A gateway where each kind of upstream failure has its own provider: NVIDIA's base URL is a port nobody listens on
/// (connection refused), Kimi answers after its own 0.5 s first-byte limit (timeout), xAI fails with 500, Mistral rate
/// limits (429), Groq refuses the gateway's key (401), Cohere forbids it (403). DeepSeek works. <c>auto</c>'s pool is
/// all of them in that order.
/// </summary>
public sealed class FallbackMatrixGateway : GatewayWithFakes
{
    public const string DeepSeek = "deepseek/deepseek-chat";
    private static readonly int ClosedPort = UnusedPort();

    /// <summary>Failure kind → the provider that fails that way, and the status its attempt is recorded with.</summary>
    public static readonly IReadOnlyDictionary<string, (string Provider, int Status)> Kinds = new Dictionary<string, (string, int)>
    {
        ["connection refused"] = ("nvidia", 502),
        ["timeout"] = ("kimi", 504),
        ["500"] = ("xai", 502),
        ["429"] = ("mistral", 429),
        ["401"] = ("groq", 502),
        ["403"] = ("cohere", 502),
    };

    public static string ModelFailingWith(string kind) => ChatModelOf(Kinds[kind].Provider).Id;

    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["NVIDIA_BASE_URL"] = $"http://127.0.0.1:{ClosedPort}/nvidia",
        ["ARouter:Upstream:Providers:kimi:FirstByteTimeoutSeconds"] = "0.5",
        ["ARouter:Auto:Models"] = string.Join(",", Kinds.Keys.Select(ModelFailingWith).Append(DeepSeek)),
        ["ARouter:Auto:Candidates"] = "7",
    };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Fakes.Script("kimi", FakeScript.Default with { Delay = TimeSpan.FromSeconds(5) });
        Fakes.Script("xai", FakeScript.Default with { FailStatus = 500, FailMessage = "xai broke 5001" });
        Fakes.Script("mistral", FakeScript.Default with { FailStatus = 429, FailMessage = "mistral busy 4291" });
        Fakes.Script("groq", FakeScript.Default with { FailStatus = 401, FailMessage = "groq key 4011" });
        Fakes.Script("cohere", FakeScript.Default with { FailStatus = 403, FailMessage = "cohere forbids 4031" });
    }

    private static int UnusedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>Fallback past each kind of failure, streamed and not, with only the answer charged; every candidate failing charges nothing.</summary>
public abstract class FallbackMatrixTests(FallbackMatrixGateway fixture, CallerDialect caller)
{
    private const string DeepSeek = FallbackMatrixGateway.DeepSeek;

    public static TheoryData<string, bool> KindsStreamingAndNot()
    {
        var data = new TheoryData<string, bool>();
        foreach (var kind in FallbackMatrixGateway.Kinds.Keys)
        {
            data.Add(kind, false);
            data.Add(kind, true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(KindsStreamingAndNot))]
    public async Task A_failing_first_model_falls_back_and_only_the_answer_is_charged(string kind, bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var (provider, status) = FallbackMatrixGateway.Kinds[kind];
        var failing = FallbackMatrixGateway.ModelFailingWith(kind);
        var calls = fixture.Fakes.RequestsTo(provider).Count;

        var answer = await CallerDialects.SendAsync(fixture.Gateway, caller, account.Key, [failing, DeepSeek], stream);

        Assert.Equal(200, answer.Status);
        Assert.Equal(DeepSeek, answer.Model);
        Assert.True(answer.CleanEnd, answer.Error);
        Assert.Equal(5 - answer.Cost, await fixture.Gateway.BalanceAsync(account.Key));
        var charge = Assert.Single(await CallerDialects.ChargesAsync(fixture.Gateway, account.Key));
        Assert.Equal(-answer.Cost, charge.GetProperty("amount").GetDecimal());
        Assert.Equal(DeepSeek, charge.GetProperty("model").GetString());
        var generation = await CallerDialects.GenerationAsync(fixture.Gateway, account.Key, answer.GenerationId!);
        var attempt = Assert.Single(generation.GetProperty("attempts").EnumerateArray());
        Assert.Equal(failing, attempt.GetProperty("model").GetString());
        Assert.Equal(status, attempt.GetProperty("status").GetInt32());
        // Tried once: with a fallback left, a failure is not retried on the same provider. The fake records a request once
        // it has read the body, which on a busy machine can come after the gateway has given up at its 0.5 s limit (seen in CI).
        var seen = fixture.Fakes.RequestsTo(provider).Count - calls;
        if (kind == "timeout") Assert.InRange(seen, 0, 1);
        else if (kind != "connection refused") Assert.Equal(1, seen);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_candidate_failing_lists_each_attempt_and_charges_nothing_504_when_the_last_timed_out(bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        string[] lastTimedOut = [FallbackMatrixGateway.ModelFailingWith("500"), FallbackMatrixGateway.ModelFailingWith("connection refused"), FallbackMatrixGateway.ModelFailingWith("timeout")];
        string[] lastFailed = [FallbackMatrixGateway.ModelFailingWith("timeout"), FallbackMatrixGateway.ModelFailingWith("403")];

        var timedOut = await CallerDialects.SendAsync(fixture.Gateway, caller, account.Key, lastTimedOut, stream);
        var failed = await CallerDialects.SendAsync(fixture.Gateway, caller, account.Key, lastFailed, stream);

        Assert.Equal(504, timedOut.Status);
        foreach (var model in lastTimedOut) Assert.Contains(model, timedOut.Error);
        Assert.Contains("xai broke 5001", timedOut.Error);
        Assert.Equal(502, failed.Status);
        foreach (var model in lastFailed) Assert.Contains(model, failed.Error);
        Assert.Contains("cohere forbids 4031", failed.Error);
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
        Assert.Empty(await CallerDialects.ChargesAsync(fixture.Gateway, account.Key));
    }
}

public sealed class OpenAiCallerFallbackTests(FallbackMatrixGateway fixture) : FallbackMatrixTests(fixture, CallerDialect.OpenAi), IClassFixture<FallbackMatrixGateway>;

public sealed class AnthropicCallerFallbackTests(FallbackMatrixGateway fixture) : FallbackMatrixTests(fixture, CallerDialect.Anthropic), IClassFixture<FallbackMatrixGateway>;

public sealed class GeminiCallerFallbackTests(FallbackMatrixGateway fixture) : FallbackMatrixTests(fixture, CallerDialect.Gemini), IClassFixture<FallbackMatrixGateway>;

/// <summary><c>auto</c> is a fallback list too: it falls past every kind of failure (its own gateway, so no other test's failures make a provider look sick).</summary>
public sealed class GeminiCallerAutoFallbackTests(FallbackMatrixGateway fixture) : IClassFixture<FallbackMatrixGateway>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Auto_falls_past_every_kind_of_failure_and_only_the_answer_is_charged(bool stream)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);

        var answer = await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.Gemini, account.Key, ["auto"], stream);

        Assert.Equal(200, answer.Status);
        Assert.Equal(FallbackMatrixGateway.DeepSeek, answer.Model);
        Assert.True(answer.CleanEnd, answer.Error);
        Assert.Equal(5 - answer.Cost, await fixture.Gateway.BalanceAsync(account.Key));
        Assert.Single(await CallerDialects.ChargesAsync(fixture.Gateway, account.Key));
        var generation = await CallerDialects.GenerationAsync(fixture.Gateway, account.Key, answer.GenerationId!);
        var attempts = generation.GetProperty("attempts").EnumerateArray().Select(a => (a.GetProperty("model").GetString()!, a.GetProperty("status").GetInt32())).ToList();
        Assert.Equal(FallbackMatrixGateway.Kinds.Keys.Select(k => (FallbackMatrixGateway.ModelFailingWith(k), FallbackMatrixGateway.Kinds[k].Status)).ToList(), attempts);
    }

    [Theory]
    [InlineData("500", false, 502)]
    [InlineData("timeout", true, 504)]
    [InlineData("429", false, 429)]
    public async Task A_single_failing_model_answers_in_Geminis_error_shape_and_charges_nothing(string kind, bool stream, int expected)
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);

        var answer = await CallerDialects.SendAsync(fixture.Gateway, CallerDialect.Gemini, account.Key, [FallbackMatrixGateway.ModelFailingWith(kind)], stream);

        Assert.Equal(expected, answer.Status);
        Assert.Contains(FallbackMatrixGateway.Kinds[kind].Provider, answer.Error);
        Assert.Equal(5m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
