using System.Buffers;
using System.Text.Json;
using ARouter.Auth;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Observability;
using CommunityToolkit.HighPerformance.Buffers;
using Microsoft.AspNetCore.Http;

namespace ARouter.Endpoints;

/// <summary>One authenticated request on its way through the pipeline.</summary>
public sealed class GatewayRequest(HttpContext http, CallerDialect dialect, Caller caller, string requestId, long startTimestamp, GatewayOptions options, RequestTelemetry telemetry)
{
    public HttpContext Http { get; } = http;
    public CallerDialect Dialect { get; } = dialect;
    public Caller Caller { get; } = caller;
    public string RequestId { get; } = requestId;
    public long StartTimestamp { get; } = startTimestamp;
    public GatewayOptions Options { get; } = options;
    /// <summary>The request's span and metrics; provider calls are reported through it (<see cref="RequestTelemetry.Track"/>).</summary>
    public RequestTelemetry Telemetry { get; } = telemetry;
    public CancellationToken Aborted => Http.RequestAborted;

    /// <summary>Reads and parses the JSON body within the configured size and depth limits.</summary>
    public Task<SourceDocument> ReadJsonAsync() => JsonBodyReader.ReadAsync(Http, Dialect, Options);
}

/// <summary>Reads a request's JSON body within the configured size and depth limits; bad input becomes a 400 or 413.</summary>
public static class JsonBodyReader
{
    public static async Task<SourceDocument> ReadAsync(HttpContext http, CallerDialect dialect, GatewayOptions options)
    {
        var buffer = await ReadBytesAsync(http, options.MaxRequestBodyBytes);
        try
        {
            if (buffer.WrittenCount == 0) throw new DecodeException("The request body is empty; send a JSON object.");
            var document = Parse(buffer.WrittenMemory, options);
            return new SourceDocument(dialect, document) { Bytes = buffer };
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>The whole body into pooled memory, refused with a 413 past <paramref name="limit"/> bytes; the caller disposes it.</summary>
    public static async Task<ArrayPoolBufferWriter<byte>> ReadBytesAsync(HttpContext http, long limit)
    {
        var request = http.Request;
        if (request.ContentLength > limit) throw new BodyTooLargeException(limit);
        var buffer = new ArrayPoolBufferWriter<byte>((int)Math.Clamp(request.ContentLength ?? 4096, 256, 1 << 20));
        try
        {
            var reader = request.BodyReader;
            while (true)
            {
                var result = await reader.ReadAsync(http.RequestAborted);
                foreach (var segment in result.Buffer)
                {
                    if (buffer.WrittenCount + (long)segment.Length > limit) throw new BodyTooLargeException(limit);
                    buffer.Write(segment.Span);
                }
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted) break;
            }
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static JsonDocument Parse(ReadOnlyMemory<byte> body, GatewayOptions options)
    {
        try
        {
            var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = options.MaxJsonDepth });
            if (JsonBodyRules.FindProblem(body.Span, document, options.MaxJsonDepth) is { } problem)
            {
                document.Dispose();
                throw new DecodeException(problem);
            }
            return document;
        }
        catch (JsonException e)
        {
            throw new DecodeException($"The request body is not valid JSON: {Describe(e)}");
        }
    }

    private static string Describe(JsonException e)
    {
        // JsonException messages quote no input text, only positions; keep just the first sentence.
        var message = e.Message;
        var end = message.IndexOf(" LineNumber", StringComparison.Ordinal);
        var text = end > 0 ? message[..end].TrimEnd(' ', '|', '.') : message;
        return e.LineNumber is { } line ? $"{text} (line {line + 1}, byte {e.BytePositionInLine + 1})." : text;
    }
}

public sealed class BodyTooLargeException(long limit) : Exception($"Request body is larger than {limit} bytes.")
{
    public long Limit { get; } = limit;
}
