using System.Buffers;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;
using ARouter.Routing;

namespace ARouter.Upstream.Wires;

/// <summary>Anthropic's Messages API.</summary>
public sealed class AnthropicChatWire : IChatWire
{
    public Uri ChatUri(RouteTarget target, bool stream) => target.Endpoint.Resolve(target.Provider.ChatPath);

    public void EncodeRequest(IBufferWriter<byte> body, ChatRequest request, RouteTarget target) => AnthropicRequestEncoder.Encode(body, request, target.Model);

    public ChatResponse DecodeCompletion(JsonElement root) => AnthropicResponseDecoder.Decode(root);

    public JsonElement? UsageJson(JsonElement root) => root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object ? usage : null;

    public IUpstreamStreamDecoder NewStreamDecoder(string providerSlug) => new Decoder(providerSlug);

    private sealed class Decoder(string providerSlug) : IUpstreamStreamDecoder
    {
        private readonly AnthropicStreamDecoder _inner = new();
        private readonly StreamEvents _events = new();
        private JsonDocument? _document;

        public TokenUsage? Usage => _inner.Usage;
        public JsonElement? UsageJson => _inner.UsageJson;
        public bool Complete => _inner.Stopped;

        public StreamStep Read(SseEvent sseEvent)
        {
            _events.Reset(sseEvent.Data.Length);
            if (!EventDocument.TryParse(sseEvent.Data, ref _document)) return new StreamStep(_events, false, null) { Ignored = true };
            if (!UnicodeText.IsValid(sseEvent.Data.Span)) return new StreamStep(_events, false, EventDocument.NotText(providerSlug));
            var data = _document!.RootElement;
            _inner.Decode(data, _events);
            if (_inner.Error is { } message)
                return new StreamStep(_events, false, new GatewayError(ErrorStage.UpstreamStream, 502, $"Provider '{providerSlug}' reported an error mid-stream: {message}"));
            return new StreamStep(_events, AnthropicResponseDecoder.String(data, "type") is "message_delta" or "message_start", null) { Document = data };
        }

        public void MarkDone()
        {
        }

        public void Dispose() => _document?.Dispose();
    }
}
