using System.Buffers;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;
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

/// <summary>
/// What one upstream stream event meant, in canonical terms. <see cref="Events"/> is the decoder's buffer, refilled by its
/// next <c>Read</c>.
/// </summary>
public readonly record struct StreamStep(StreamEvents Events, bool CarriesUsage, GatewayError? Error)
{
    /// <summary>Not an event of the stream (not a JSON object): nothing to relay.</summary>
    public bool Ignored { get; init; }

    /// <summary>The event carried usage and nothing else to relay (OpenAI's <c>include_usage</c> chunk, with no choices).</summary>
    public bool UsageOnly { get; init; }

    /// <summary>
    /// The event as a document, from the decoders that parse one (Anthropic, Gemini), for a sink of the same dialect that
    /// passes it on; <c>default</c> from the OpenAI wire, whose sink rewrites the raw bytes. Valid until the next <c>Read</c>.
    /// </summary>
    public JsonElement Document { get; init; }

    /// <summary>From the OpenAI wire: where the chunk's top-level properties are, for a same-dialect sink's splice. Valid until the next <c>Read</c>.</summary>
    public OpenAiChunkLayout? Layout { get; init; }
}

/// <summary>Reads one provider stream (one instance per stream), tracking usage and whether the provider ended it properly.</summary>
public interface IUpstreamStreamDecoder : IDisposable
{
    StreamStep Read(SseEvent sseEvent);
    TokenUsage? Usage { get; }
    /// <summary>The provider's last usage object, for a caller that speaks the provider's dialect.</summary>
    JsonElement? UsageJson { get; }
    /// <summary>The provider signalled a proper end (a finish reason, <c>[DONE]</c>, <c>message_stop</c>).</summary>
    bool Complete { get; }
    void MarkDone();
}

/// <summary>An upstream event parsed whole, for the wires whose decoders read documents; the previous one is disposed.</summary>
internal static class EventDocument
{
    /// <summary>The failure of a stream whose provider sent an event that is not valid Unicode text.</summary>
    public static GatewayError NotText(string providerSlug)
        => new(ErrorStage.UpstreamStream, 502, $"Provider '{providerSlug}' sent a stream event that is not valid Unicode text.");

    public static bool TryParse(ReadOnlyMemory<byte> data, ref JsonDocument? document)
    {
        document?.Dispose();
        document = null;
        try
        {
            var parsed = JsonDocument.Parse(data);
            if (parsed.RootElement.ValueKind == JsonValueKind.Object)
            {
                document = parsed;
                return true;
            }
            parsed.Dispose();
        }
        catch (JsonException)
        {
        }
        return false;
    }
}
