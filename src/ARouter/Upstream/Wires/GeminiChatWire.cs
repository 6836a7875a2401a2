using System.Buffers;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Gemini;
using ARouter.Dialects.Sse;
using ARouter.Routing;

namespace ARouter.Upstream.Wires;

/// <summary>Google's Gemini API: the model is in the path, streams go to <c>:streamGenerateContent?alt=sse</c>.</summary>
public sealed class GeminiChatWire : IChatWire
{
    public Uri ChatUri(RouteTarget target, bool stream)
    {
        var path = stream && target.Provider.Quirks.StreamPath is { } streamPath ? streamPath : target.Provider.ChatPath;
        return target.Endpoint.Resolve(path.Replace("{model}", Uri.EscapeDataString(target.Model.UpstreamId), StringComparison.Ordinal));
    }

    public void EncodeRequest(IBufferWriter<byte> body, ChatRequest request, RouteTarget target) => GeminiRequestEncoder.Encode(body, request);

    public ChatResponse DecodeCompletion(JsonElement root) => GeminiResponseDecoder.Decode(root);

    public JsonElement? UsageJson(JsonElement root) => GeminiRequestDecoder.Field(root, "usageMetadata", "usage_metadata");

    public IUpstreamStreamDecoder NewStreamDecoder(string providerSlug) => new Decoder(providerSlug);

    private sealed class Decoder(string providerSlug) : IUpstreamStreamDecoder
    {
        private readonly StreamEvents _events = new();
        private JsonDocument? _document;
        private int _toolCalls;

        public TokenUsage? Usage { get; private set; }
        public JsonElement? UsageJson { get; private set; }
        public bool Complete { get; private set; }

        public StreamStep Read(SseEvent sseEvent)
        {
            _events.Reset(sseEvent.Data.Length);
            if (!EventDocument.TryParse(sseEvent.Data, ref _document)) return new StreamStep(_events, false, null) { Ignored = true };
            if (!UnicodeText.IsValid(sseEvent.Data.Span)) return new StreamStep(_events, false, EventDocument.NotText(providerSlug));
            var data = _document!.RootElement;
            if (UpstreamErrorMapper.FromSuccessBody(providerSlug, data) is { } error) return new StreamStep(_events, false, error with { Stage = ErrorStage.UpstreamStream, Status = 502 });
            // usageMetadata is cumulative on every chunk: the last one wins.
            var usage = GeminiResponseDecoder.ReadUsage(data);
            if (usage is not null)
            {
                Usage = usage;
                UsageJson = GeminiRequestDecoder.Field(data, "usageMetadata", "usage_metadata")?.Clone();
            }
            GeminiResponseDecoder.DecodeChunk(data, _toolCalls, _events);
            for (var i = 0; i < _events.Count; i++) if (_events[i].Kind == StreamEventKind.ToolCallStart) _toolCalls++;
            if (_events.HasFinish) Complete = true;
            return new StreamStep(_events, usage is not null, null) { Document = data };
        }

        public void MarkDone() => Complete = true;

        public void Dispose() => _document?.Dispose();
    }
}
