using System.ClientModel;
using System.Net;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace ARouter.Tests.Cli;

/// <summary>
/// The ahead-of-time compiled <c>arouter serve</c>, configured through its environment, against the fake providers:
/// what the JIT build's tests prove in-process holds for the native binary too (its JSON, configuration binding and
/// codecs are compiled differently), and it says plainly that it has no dashboard.
/// </summary>
public sealed class AheadOfTimeBuildTests(AheadOfTimeBuild build) : IClassFixture<AheadOfTimeBuild>, IAsyncLifetime
{
    private const string Claude = "anthropic/claude-sonnet-4.6";
    private const string Gemini = "google/gemini-2.5-flash";
    private const string DeepSeek = "deepseek/deepseek-chat";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arouter-tests", "aot-run-" + Guid.NewGuid().ToString("n"));
    private FakeProviders _fakes = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        _fakes = await FakeProviders.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _fakes.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private Task<GatewayProcess> StartAsync(params (string Name, string Value)[] settings)
    {
        var environment = new Dictionary<string, string?>(_fakes.GatewayConfiguration());
        foreach (var (name, value) in settings) environment[name] = value;
        return GatewayProcess.StartAsync(Path.Combine(_directory, "arouter.db"), environment, executable: build.Executable);
    }

    [NeedsClangFact]
    public async Task Every_dialect_streamed_or_not_and_passthrough_answer_and_each_is_charged_once()
    {
        await using var gateway = await StartAsync();
        var account = await gateway.CreateAccountAsync(5);
        var v1 = new OpenAIClientOptions { Endpoint = new Uri(gateway.BaseAddress, "/v1") };

        var openAi = await new ChatClient(Claude, new ApiKeyCredential(account.Key), v1).CompleteChatAsync([new UserChatMessage("Say hello.")]);
        Assert.Equal(FakeScript.Default.Reply, openAi.Value.Content[0].Text);
        var streamed = "";
        await foreach (var update in new ChatClient(DeepSeek, new ApiKeyCredential(account.Key), v1).CompleteChatStreamingAsync([new UserChatMessage("Say hello.")]))
            foreach (var part in update.ContentUpdate) streamed += part.Text;
        Assert.Equal(FakeScript.Default.Reply, streamed);

        var anthropic = new AnthropicClient { ApiKey = account.Key, BaseUrl = gateway.BaseAddress.ToString().TrimEnd('/') };
        var message = await anthropic.Messages.CreateStreaming(new MessageCreateParams { Model = Gemini, MaxTokens = 100, Messages = [new UserMessageParam("Say hello.")] }).Aggregate();
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(FakeScript.Default.Reply, text!.Text);

        using (var gemini = new HttpRequestMessage(HttpMethod.Post, $"/v1beta/models/{DeepSeek}:generateContent")
        {
            Content = new StringContent("""{"contents":[{"role":"user","parts":[{"text":"Say hello."}]}]}""", System.Text.Encoding.UTF8, "application/json"),
        })
        {
            gemini.Headers.Add("x-goog-api-key", account.Key);
            using var response = await gateway.Client.SendAsync(gemini);
            var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(FakeScript.Default.Reply, root.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString());
        }

        using (var passthrough = new HttpRequestMessage(HttpMethod.Post, "/deepseek/chat/completions")
        {
            Content = new StringContent("""{"model":"deepseek-chat","messages":[{"role":"user","content":"Say hello."}]}""", System.Text.Encoding.UTF8, "application/json"),
        })
        {
            passthrough.Headers.Authorization = new("Bearer", account.Key);
            using var response = await gateway.Client.SendAsync(passthrough);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(FakeScript.Default.Reply, await response.Content.ReadAsStringAsync());
        }

        // The o200k vocabulary (another assembly's resource) and its pattern (generated code) survive trimming.
        var prompt = $$"""{"model":"{{Claude}}","messages":[{"role":"user","content":"Say hello, 世界 😀"}]}""";
        using (var count = new HttpRequestMessage(HttpMethod.Post, "/v1/messages/count_tokens") { Content = new StringContent(prompt, System.Text.Encoding.UTF8, "application/json") })
        {
            count.Headers.Add("x-api-key", account.Key);
            using var response = await gateway.Client.SendAsync(count);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var expected = new TokenEstimator().CountPrompt(OpenAiChatDecoder.Decode(new SourceDocument(CallerDialect.OpenAi, JsonDocument.Parse(prompt))));
            Assert.Equal(expected, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("input_tokens").GetInt32());
        }

        await AssertChargedOnceEachAsync(gateway, account.Key, credits: 5, requests: 5);
    }

    [NeedsClangFact]
    public async Task Settings_from_the_environment_reach_it_and_it_says_it_has_no_dashboard()
    {
        await using var gateway = await StartAsync(("AROUTER__LIMITS__DEFAULTREQUESTS", "2"), ("AROUTER__LIMITS__DEFAULTINTERVALSECONDS", "600"));
        var account = await gateway.CreateAccountAsync(5);

        var statuses = new List<(int Status, string Limit)>();
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/balance");
            request.Headers.Authorization = new("Bearer", account.Key);
            using var response = await gateway.Client.SendAsync(request);
            statuses.Add(((int)response.StatusCode, response.Headers.GetValues("X-RateLimit-Limit").Single()));
        }
        Assert.Equal([(200, "2"), (200, "2"), (429, "2")], statuses);

        using var page = await gateway.Client.GetAsync("/signin");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("The dashboard is not part of this ahead-of-time compiled build", gateway.Output);
    }

    [NeedsClangPostgresAndRedisFact]
    public async Task On_PostgreSQL_with_Redis_it_holds_and_charges_through_both()
    {
        await using var database = await TestDatabase.CreateAsync(StoreEngine.Postgres);
        await using var redis = await RedisServer.StartAsync();
        await using var gateway = await StartAsync(("AROUTER_DATABASE", database.ConnectionString), ("AROUTER_SECRETS_KEY", TestDatabase.SecretsKey),
            ("AROUTER_REDIS", redis.Configuration));
        Assert.Contains("database postgres", gateway.Output);
        var account = await gateway.CreateAccountAsync(5);

        var sdk = new ChatClient(DeepSeek, new ApiKeyCredential(account.Key), new OpenAIClientOptions { Endpoint = new Uri(gateway.BaseAddress, "/v1") });
        Assert.Equal(FakeScript.Default.Reply, (await sdk.CompleteChatAsync([new UserChatMessage("Say hello.")])).Value.Content[0].Text);
        await foreach (var _ in sdk.CompleteChatStreamingAsync([new UserChatMessage("Say hello.")])) { }

        using var ready = await gateway.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        await AssertChargedOnceEachAsync(gateway, account.Key, credits: 5, requests: 2);
    }

    /// <summary>One charge per request, each for its own generation, and the balance is the credits minus their sum.</summary>
    private static async Task AssertChargedOnceEachAsync(GatewayProcess gateway, string key, decimal credits, int requests)
    {
        var (status, transactions) = await gateway.GetJsonAsync("/api/v1/transactions", key);
        Assert.Equal(200, status);
        var charges = transactions.GetProperty("data").EnumerateArray().Where(t => t.GetProperty("type").GetString() == "charge").ToList();
        Assert.Equal(requests, charges.Count);
        Assert.Equal(requests, charges.Select(c => c.GetProperty("generation_id").GetString()).Distinct().Count());
        var (_, balance) = await gateway.GetJsonAsync("/api/v1/balance", key);
        Assert.Equal(credits + charges.Sum(c => c.GetProperty("amount").GetDecimal()), balance.GetProperty("data").GetProperty("balance").GetDecimal());
    }
}
