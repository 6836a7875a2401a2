using ARouter.Catalog;

namespace ARouter.Upstream.Wires;

/// <summary>The chat wire for each provider dialect.</summary>
public sealed class ChatWires
{
    private readonly OpenAiChatWire _openAi = new();
    private readonly AnthropicChatWire _anthropic = new();
    private readonly GeminiChatWire _gemini = new();

    public IChatWire? For(WireDialect dialect) => dialect switch
    {
        WireDialect.OpenAi => _openAi,
        WireDialect.Anthropic => _anthropic,
        WireDialect.Gemini => _gemini,
        _ => null,
    };
}
