using System.Buffers;
using System.Text.Json;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Gemini;
using ARouter.Dialects.OpenAi;
using CsCheck;

namespace ARouter.Tests.Dialects;

/// <summary>
/// Property: for every dialect, decoding what its encoder wrote gives back the canonical request — the roles and
/// texts of the turns (system included), max tokens, temperature and stop sequences — whatever the text holds.
/// </summary>
public sealed class CodecRoundTripTests
{
    private static readonly string[] Words = ["hello", "Wörld", "日本語", "🙂", "a\"quoted\"b", "line\nbreak", "tab\tstop", "back\\slash", "<tag>&amp;", "\u2028sep", "null", "{\"json\":1}"];
    private static readonly ARouter.Catalog.ModelRecord Sonnet = GatewayWithFakes.Catalog.FindModel("anthropic/claude-sonnet-4.6")!;
    private static readonly ARouter.Catalog.ModelRecord DeepSeek = GatewayWithFakes.Catalog.FindModel("deepseek/deepseek-chat")!;

    private static readonly Gen<string> Text = Gen.Int[0, Words.Length - 1].Array[1, 6].Select(picks => string.Join(' ', picks.Select(i => Words[i])));

    /// <summary>A system prompt and alternating user/assistant turns starting and ending with the user, as every dialect can express them.</summary>
    private static readonly Gen<ChatRequest> Requests = Gen.Select(Text.Array[0, 1], Text.Array[1, 4], Gen.Int[1, 100_000], Gen.Int[0, 100], Text.Array[0, 3])
        .Select((system, turns, maxTokens, temperature, stops) =>
        {
            var messages = system.Select(s => new ChatMessage(ChatRole.System, [new TextPart(s)])).ToList();
            for (var i = 0; i < turns.Length * 2 - 1; i++)
                messages.Add(new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, [new TextPart(turns[i / 2] + (i % 2 == 0 ? "" : " (reply)"))]));
            return new ChatRequest
            {
                Model = "deepseek/deepseek-chat",
                Messages = messages,
                MaxTokens = maxTokens,
                Temperature = temperature / 100.0,
                Stop = stops.Length == 0 ? null : stops,
                Source = new SourceDocument(CallerDialect.OpenAi, JsonDocument.Parse("{}")),
            };
        });

    private static SourceDocument Written(CallerDialect dialect, Action<ArrayBufferWriter<byte>> encode)
    {
        var output = new ArrayBufferWriter<byte>();
        encode(output);
        return new SourceDocument(dialect, JsonDocument.Parse(output.WrittenMemory));
    }

    private static ChatRequest RoundTrip(string dialect, ChatRequest request) => dialect switch
    {
        "openai" => OpenAiChatDecoder.Decode(Written(CallerDialect.OpenAi, o => OpenAiCanonicalRequestEncoder.Encode(o, request, DeepSeek, GatewayWithFakes.Catalog.Providers.First(p => p.Slug == "deepseek")))),
        "anthropic" => AnthropicRequestDecoder.Decode(Written(CallerDialect.Anthropic, o => AnthropicRequestEncoder.Encode(o, request, Sonnet))),
        _ => GeminiRequestDecoder.Decode(Written(CallerDialect.Gemini, o => GeminiRequestEncoder.Encode(o, request)), "gemini-2.5-flash", stream: false),
    };

    /// <summary>What must survive: turn by turn the role and the text, and the sampling fields.</summary>
    private static string Canonical(ChatRequest request) => JsonSerializer.Serialize(new
    {
        turns = request.Messages.Select(m => new { role = m.Role.ToString(), text = string.Concat(m.Content.OfType<TextPart>().Select(t => t.Text)) }),
        max = request.MaxTokens,
        temperature = request.Temperature,
        stop = request.Stop ?? [],
    });

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    [InlineData("gemini")]
    public void Decoding_what_a_dialect_encoded_gives_back_the_canonical_request(string dialect)
        => Requests.Sample(request => Assert.Equal(Canonical(request), Canonical(RoundTrip(dialect, request))), iter: 300, print: Canonical);
}
