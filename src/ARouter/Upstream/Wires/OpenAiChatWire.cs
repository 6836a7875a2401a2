using System.Buffers;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;
using ARouter.Dialects.Sse;
using ARouter.Routing;

namespace ARouter.Upstream.Wires;

/// <summary>The ten OpenAI-compatible providers: one wire, their differences are catalog quirks.</summary>
public sealed class OpenAiChatWire : IChatWire
{
    public Uri ChatUri(RouteTarget target, bool stream) => target.Endpoint.Resolve(target.Provider.ChatPath);

    public void EncodeRequest(IBufferWriter<byte> body, ChatRequest request, RouteTarget target)
    {
        // Same dialect on both sides: copy the caller's JSON so fields the gateway does not model still arrive.
        if (request.Source.Dialect == CallerDialect.OpenAi) OpenAiRequestEncoder.EncodeFromOpenAi(body, request, target.Model, target.Provider);
        else OpenAiCanonicalRequestEncoder.Encode(body, request, target.Model, target.Provider);
    }

    public ChatResponse DecodeCompletion(JsonElement root) => OpenAiResponseDecoder.Decode(root);

    public JsonElement? UsageJson(JsonElement root) => OpenAiUsage.TryFind(root, out var usage) && OpenAiUsage.Read(usage) is not null ? usage : null;

    public IUpstreamStreamDecoder NewStreamDecoder(string providerSlug) => new Decoder(providerSlug);

    private sealed class Decoder(string providerSlug) : IUpstreamStreamDecoder
    {
        private readonly OpenAiStreamDecoder _chunks = new();

        public TokenUsage? Usage => _chunks.Usage;
        public JsonElement? UsageJson => _chunks.UsageJson;
        public bool Complete => _chunks.Complete;

        public StreamStep Read(SseEvent sseEvent)
        {
            var chunk = _chunks.Read(sseEvent.Data);
            if (!chunk.IsObject) return new StreamStep(_chunks.Events, false, null) { Ignored = true };
            if (chunk.NotText) return new StreamStep(_chunks.Events, false, EventDocument.NotText(providerSlug));
            if (chunk.MayBeError && ErrorIn(sseEvent.Data) is { } error) return new StreamStep(_chunks.Events, false, error with { Stage = ErrorStage.UpstreamStream, Status = 502 });
            _chunks.Accept(sseEvent.Data);
            return new StreamStep(_chunks.Events, chunk.CarriesUsage, null) { UsageOnly = chunk.CarriesUsage && !chunk.HasChoices, Layout = _chunks.Layout };
        }

        /// <summary>Rare (a chunk that looks like a failure): parsed whole, so the one error mapping decides.</summary>
        private GatewayError? ErrorIn(ReadOnlyMemory<byte> data)
        {
            using var document = JsonDocument.Parse(data);
            return UpstreamErrorMapper.FromSuccessBody(providerSlug, document.RootElement);
        }

        public void MarkDone() => _chunks.MarkDone();

        public void Dispose()
        {
        }
    }
}
