using OpenAI;
using OpenAI.Chat;
using System.ClientModel;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Observability;

public sealed class SqlitePrivacyTests(GatewayWithFakes fixture) : PrivacyTests(fixture), IClassFixture<GatewayWithFakes>;

[RunsOnPostgres]
public sealed class PostgresPrivacyTests(PostgresGatewayWithFakes fixture) : PrivacyTests(fixture), IClassFixture<PostgresGatewayWithFakes>;

/// <summary>No prompt, completion or key reaches a log line or the database, whatever happens to the request.</summary>
public abstract class PrivacyTests(GatewayWithFakes fixture)
{
    private const string SecretPrompt = "PROMPT-MARKER-5b1f the patient's diagnosis";
    private const string SecretReply = "COMPLETION-MARKER-9c2e the answer";

    [StoreFact]
    public async Task Prompts_completions_and_keys_never_reach_logs_or_the_database()
    {
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var sdk = new ChatClient("deepseek/deepseek-chat", new ApiKeyCredential(account.Key), new OpenAIClientOptions { Endpoint = new Uri(fixture.Gateway.BaseAddress, "/v1") });
        fixture.Fakes.Script("deepseek", FakeScript.Default with { Reply = SecretReply });
        fixture.Fakes.Script("xai", FakeScript.Default with { FailStatus = 400, FailMessage = "bad request" });
        fixture.Fakes.Script("groq", FakeScript.Default with { Reply = SecretReply, CutAfterChunks = 2 });
        try
        {
            await sdk.CompleteChatAsync([new UserChatMessage(SecretPrompt)]);
            await foreach (var _ in sdk.CompleteChatStreamingAsync([new UserChatMessage(SecretPrompt)])) { }
            await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("xai").Id, maxTokens: 100, prompt: SecretPrompt));
            using (var cut = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(GatewayWithFakes.ChatModelOf("groq").Id, stream: true, prompt: SecretPrompt)))
            using (var response = await fixture.Gateway.Client.SendAsync(cut))
                await response.Content.ReadAsStringAsync();
            await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions?key=" + account.Key, "", GatewayWithFakes.ChatBody("deepseek/deepseek-chat", prompt: SecretPrompt));
            await fixture.Gateway.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", "lr_live_" + new string('Z', 40), GatewayWithFakes.ChatBody("deepseek/deepseek-chat", prompt: SecretPrompt));
        }
        finally
        {
            fixture.Fakes.Reset();
        }

        var logs = fixture.Gateway.Logs.All;
        Assert.NotEmpty(fixture.Gateway.Logs.Lines);
        // The short display prefix (lr_live_ + 6 characters) may be logged to tell keys apart; anything longer may not.
        foreach (var secret in new[] { "PROMPT-MARKER", "COMPLETION-MARKER", account.Key[..20], "lr_live_ZZZZZZZZ", "sk-fake-" })
            Assert.DoesNotContain(secret, logs);

        // Give the ledger writer a moment, then read every byte the database holds.
        await Task.Delay(300);
        var stored = await fixture.Gateway.Database.ReadEverythingStoredAsync();
        Assert.Contains("deepseek/deepseek-chat", stored);
        foreach (var secret in new[] { "PROMPT-MARKER", "COMPLETION-MARKER", account.Key, "sk-fake-" })
            Assert.DoesNotContain(secret, stored);
    }
}
