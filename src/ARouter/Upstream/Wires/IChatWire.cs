using System.Buffers;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;
using ARouter.Routing;

namespace ARouter.Upstream.Wires;

/// <summary>How the gateway speaks chat to providers of one wire dialect: where to send, what to send, how to read the answer.</summary>
public interface IChatWire
{
    Uri ChatUri(RouteTarget target, bool stream);
    void EncodeRequest(IBufferWriter<byte> body, ChatRequest request, RouteTarget target);
    ChatResponse DecodeCompletion(JsonElement root);
    /// <summary>The provider's own usage object in a completion, kept when the caller speaks the same dialect.</summary>
    JsonElement? UsageJson(JsonElement root);
    IUpstreamStreamDecoder NewStreamDecoder(string providerSlug);
}

/// <summary>What one upstream stream event meant, in canonical terms.</summary>
public readonly record struct StreamStep(IReadOnlyList<StreamEvent> Events, bool CarriesUsage, GatewayError? Error);

/// <summary>Reads one provider stream (one instance per stream), tracking usage and whether the provider ended it properly.</summary>
public interface IUpstreamStreamDecoder
{
    StreamStep Read(SseEvent sseEvent, JsonElement data);
    TokenUsage? Usage { get; }
    /// <summary>The provider's last usage object, for a caller that speaks the provider's dialect.</summary>
    JsonElement? UsageJson { get; }
    /// <summary>The provider signalled a proper end (a finish reason, <c>[DONE]</c>, <c>message_stop</c>).</summary>
    bool Complete { get; }
    void MarkDone();
}
