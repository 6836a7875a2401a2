using ARouter.Catalog;

namespace ARouter.Upstream.Wires;

/// <summary>The chat wire for each provider dialect the gateway can speak; Gemini as an upstream is not built yet.</summary>
public sealed class ChatWires
{
    private readonly OpenAiChatWire _openAi = new();
    private readonly AnthropicChatWire _anthropic = new();

    public IChatWire? For(WireDialect dialect) => dialect switch
    {
        WireDialect.OpenAi => _openAi,
        WireDialect.Anthropic => _anthropic,
        _ => null,
    };
}
