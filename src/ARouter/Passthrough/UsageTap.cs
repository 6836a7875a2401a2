using System.Buffers;
using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Catalog;
using CommunityToolkit.HighPerformance.Buffers;
using Microsoft.AspNetCore.Http;

namespace ARouter.Passthrough;

/// <summary>
/// Watches a passthrough response's bytes on their way to the client and reads the usage out of them,
/// without holding the body back. SSE: each event is parsed as it completes (one event at a time in
/// memory). JSON: a body up to <see cref="PassthroughOptions.MaxParsedBytes"/> is parsed at the end; past
/// that only its first and last bytes are kept, and usage is looked for in the tail, where providers put
/// it. Anything else (compressed, binary, malformed) is simply not read. The tap never throws: a body it
/// cannot understand costs the caller nothing extra and the client still gets every byte.
/// </summary>
public sealed class UsageTap(WireDialect dialect, HttpResponse response, PassthroughOptions options)
{
    private const int HeadKeptWhenLarge = 16 * 1024;

    private enum Mode { Undecided, Sse, Json, Ignored }

    private readonly NativeUsage _usage = new(dialect);
    private Mode _mode;
    private SseEventSplitter? _sse;
    private ArrayPoolBufferWriter<byte>? _json;
    private byte[]? _head;
    private byte[]? _tail;
    private long _tailWritten;
    private bool _overflowed;

    public TokenUsage? Usage => _usage.Usage;
    public string? Model => _usage.Model;
    public string GeneratedText => _usage.GeneratedText;
    public long UncountedChars => _usage.UncountedChars;
    public bool IsEventStream { get; private set; }

    public void Observe(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        try
        {
            if (_mode == Mode.Undecided) _mode = Decide();
            switch (_mode)
            {
                case Mode.Sse: _sse!.Push(bytes); break;
                case Mode.Json: ObserveJson(bytes); break;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            _mode = Mode.Ignored;
        }
    }

    /// <summary>The body is over (or the client left): read what is still buffered.</summary>
    public void Complete()
    {
        try
        {
            if (_mode == Mode.Sse) _sse!.Complete();
            else if (_mode == Mode.Json && !_overflowed && _json is { WrittenCount: > 0 }) Parse(_json.WrittenMemory);
            else if (_mode == Mode.Json && _overflowed) ReadLargeBody();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
        }
        _mode = Mode.Ignored;
        _json?.Dispose();
        _json = null;
        _tail = null;
    }

    private Mode Decide()
    {
        var encoding = response.Headers.ContentEncoding.ToString();
        if (encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase)) return Mode.Ignored;
        var type = response.ContentType ?? "";
        if (type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            _sse = new SseEventSplitter(options.MaxParsedBytes, Parse);
            IsEventStream = true;
            return Mode.Sse;
        }
        if (type.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            // Sized to the body when its length is known: most answers are a few hundred bytes, and 16 KiB per request adds up.
            var expected = response.ContentLength is > 0 and var length ? Math.Min(length, options.MaxParsedBytes) : 4096;
            _json = new ArrayPoolBufferWriter<byte>((int)Math.Max(256, expected));
            return Mode.Json;
        }
        return Mode.Ignored;
    }

    private void ObserveJson(ReadOnlySpan<byte> bytes)
    {
        if (!_overflowed)
        {
            if (_json!.WrittenCount + bytes.Length <= options.MaxParsedBytes)
            {
                _json.Write(bytes);
                return;
            }
            // Too large to parse whole: keep the start (for the model) and from now on only a rolling tail.
            _overflowed = true;
            _head = _json.WrittenSpan[..Math.Min(HeadKeptWhenLarge, _json.WrittenCount)].ToArray();
            _tail = new byte[options.TailBytes];
            AppendTail(_json.WrittenSpan);
            _json.Dispose();
            _json = null;
        }
        AppendTail(bytes);
    }

    private void AppendTail(ReadOnlySpan<byte> bytes)
    {
        var tail = _tail!;
        if (bytes.Length > tail.Length) bytes = bytes[^tail.Length..];
        foreach (var b in bytes) tail[_tailWritten++ % tail.Length] = b;
    }

    private void Parse(ReadOnlyMemory<byte> json)
    {
        if (json.Span.SequenceEqual("[DONE]"u8)) return;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 128 });
            _usage.Observe(document.RootElement);
        }
        catch (JsonException)
        {
        }
    }

    private void ReadLargeBody()
    {
        var tail = Linearize();
        var usageName = dialect == WireDialect.Gemini ? "usageMetadata" : "usage";
        if (FindValue(tail, usageName) is { } usage)
        {
            using (usage) _usage.ObserveUsageObject(usageName, usage.RootElement);
        }
        var modelName = dialect == WireDialect.Gemini ? "modelVersion" : "model";
        using var model = FindValue(_head ?? [], modelName) ?? FindValue(tail, modelName);
        if (model?.RootElement.ValueKind == JsonValueKind.String) _usage.ObserveModel(model.RootElement.GetString());
    }

    private byte[] Linearize()
    {
        var tail = _tail!;
        if (_tailWritten <= tail.Length) return tail[..(int)_tailWritten];
        var start = (int)(_tailWritten % tail.Length);
        return [.. tail[start..], .. tail[..start]];
    }

    /// <summary>The JSON value after the last <c>"name":</c> in a fragment of a document, if it parses.</summary>
    private static JsonDocument? FindValue(ReadOnlySpan<byte> fragment, string name)
    {
        var needle = Encoding.UTF8.GetBytes("\"" + name + "\"");
        var searchEnd = fragment.Length;
        while (searchEnd > 0)
        {
            var at = fragment[..searchEnd].LastIndexOf(needle);
            if (at < 0) return null;
            var rest = fragment[(at + needle.Length)..].TrimStart(" \t\r\n"u8);
            if (!rest.IsEmpty && rest[0] == (byte)':')
            {
                try
                {
                    var reader = new Utf8JsonReader(rest[1..], isFinalBlock: false, state: default);
                    if (JsonDocument.TryParseValue(ref reader, out var value)) return value;
                }
                catch (JsonException)
                {
                }
            }
            searchEnd = at;
        }
        return null;
    }
}
