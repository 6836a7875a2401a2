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
        private static readonly StreamStep Nothing = new([], false, null);

        public TokenUsage? Usage { get; private set; }
        public JsonElement? UsageJson { get; private set; }
        public bool Complete { get; private set; }

        public StreamStep Read(SseEvent sseEvent, JsonElement data)
        {
            if (UpstreamErrorMapper.FromSuccessBody(providerSlug, data) is { } error) return new StreamStep([], false, error with { Stage = ErrorStage.UpstreamStream, Status = 502 });
            // Keep the last non-empty usage wherever this vendor put it (top level, choices[0].usage, x_groq.usage).
            var carriesUsage = false;
            if (OpenAiUsage.TryFind(data, out var usage) && OpenAiUsage.Read(usage) is { } read)
            {
                Usage = read;
                UsageJson = usage.Clone();
                carriesUsage = true;
            }
            var events = OpenAiResponseDecoder.DecodeChunk(data).ToList();
            if (events.Any(e => e is FinishEvent)) Complete = true;
            return events.Count == 0 && !carriesUsage ? Nothing : new StreamStep(events, carriesUsage, null);
        }

        public void MarkDone() => Complete = true;
    }
}
