using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ARouter.Bench;

/// <summary>
/// The cheapest OpenAI-wire provider we can write: a fixed completion, or a fixed stream of
/// <see cref="StreamEvents"/> events (usage in the last), each written and flushed on its own.
/// A body with <c>"user":"gapN"</c> spaces the stream's events N ms apart and records when each was sent,
/// so the stream probe can tell a relayed event from one that was held back.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    public const int StreamEvents = 50;
    private const string Head = "\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1764547200,\"model\":\"gpt-5.4-mini\"";

    public static readonly byte[] Completion = Encoding.UTF8.GetBytes(
        "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1764547200,\"model\":\"gpt-5.4-mini\"," +
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello! This is the benchmark's fixed answer.\",\"refusal\":null}," +
        "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":11,\"total_tokens\":23," +
        "\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}}}");

    /// <summary>48 content deltas, a finish chunk, a usage chunk (empty choices, as OpenAI sends with include_usage), then [DONE].</summary>
    public static readonly byte[][] Events = BuildEvents();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    private readonly WebApplication _app;
    private readonly object _gate = new();
    private long[] _lastSent = [];
    private long _lastArrived;

    public int Port { get; }

    private FakeUpstream(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    /// <summary>Stopwatch timestamps at which the last spaced-out stream's events were written.</summary>
    public long[] LastSpacedStream { get { lock (_gate) return _lastSent; } }

    /// <summary>Stopwatch timestamp at which the last spaced-out stream's request reached this upstream.</summary>
    public long LastSpacedArrival { get { lock (_gate) return _lastArrived; } }

    public static async Task<FakeUpstream> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();
        var fake = new FakeUpstream(app, port);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        return fake;
    }

    private async Task HandleAsync(HttpContext http)
    {
        var arrived = Stopwatch.GetTimestamp();
        var body = await ReadBodyAsync(http.Request);
        var response = http.Response;
        if (body.AsSpan().IndexOf("\"stream\":true"u8) < 0)
        {
            response.ContentType = "application/json";
            response.ContentLength = Completion.Length;
            await response.Body.WriteAsync(Completion);
            return;
        }

        var gapMs = GapOf(body);
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync();
        var sent = gapMs > 0 ? new long[StreamEvents] : null;
        for (var i = 0; i < Events.Length; i++)
        {
            if (i > 0 && gapMs > 0) await Task.Delay(gapMs);
            if (sent is not null) sent[i] = Stopwatch.GetTimestamp();
            await response.Body.WriteAsync(Events[i]);
            await response.Body.FlushAsync();
        }
        await response.Body.WriteAsync(Done);
        if (sent is not null)
            lock (_gate)
            {
                _lastSent = sent;
                _lastArrived = arrived;
            }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream((int)(request.ContentLength ?? 512));
        await request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static int GapOf(byte[] body)
    {
        var span = body.AsSpan();
        var at = span.IndexOf("\"user\":\"gap"u8);
        if (at < 0) return 0;
        var digits = span[(at + 11)..];
        var value = 0;
        foreach (var b in digits)
        {
            if (b < '0' || b > '9') break;
            value = value * 10 + (b - '0');
        }
        return value;
    }

    private static byte[][] BuildEvents()
    {
        var events = new List<byte[]>();
        events.Add(Event($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\"}},\"logprobs\":null,\"finish_reason\":null}}]}}"));
        for (var i = 1; i < StreamEvents - 2; i++)
            events.Add(Event($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\" word{i}\"}},\"logprobs\":null,\"finish_reason\":null}}]}}"));
        events.Add(Event($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"logprobs\":null,\"finish_reason\":\"stop\"}}]}}"));
        events.Add(Event($"{{{Head},\"choices\":[],\"usage\":{{\"prompt_tokens\":12,\"completion_tokens\":47,\"total_tokens\":59}}}}"));
        return [.. events];
    }

    private static byte[] Event(string json) => Encoding.UTF8.GetBytes($"data: {json}\n\n");

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
