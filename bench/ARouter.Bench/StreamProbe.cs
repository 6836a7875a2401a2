using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace ARouter.Bench;

/// <summary>How one target relays a spaced-out stream, over <see cref="StreamProbe.Streams"/> sequential streams.</summary>
public sealed record StreamTiming(
    double FirstEventP50Ms, double FirstEventP99Ms,
    double EventLagP50Ms, double EventLagP99Ms, double EventLagMaxMs,
    int EventsCompared, int EventsHeldBack, double UsageEventLagP50Ms);

/// <summary>
/// Streams with events spaced <see cref="GapMs"/> apart, one at a time, and times each event's arrival at the client
/// against the moment the fake upstream wrote it (same process, same clock). An event counts as held back when it
/// arrives after the upstream had already written the next one.
/// </summary>
public sealed class StreamProbe(FakeUpstream upstream)
{
    public const int GapMs = 5;
    public const int Streams = 20;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false, AutomaticDecompression = System.Net.DecompressionMethods.None });

    public async Task<StreamTiming> MeasureAsync(string url, string key, string model)
    {
        var body = $"{{\"model\":\"{model}\",\"stream\":true,\"max_tokens\":64,\"user\":\"gap{GapMs}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Count to fifty.\"}}]}}";
        for (var i = 0; i < 3; i++) await StreamOnceAsync(url, key, body);

        var firstEvent = new List<double>();
        var lags = new List<double>();
        var usageLags = new List<double>();
        int compared = 0, heldBack = 0;
        for (var i = 0; i < Streams; i++)
        {
            var (started, arrivals) = await StreamOnceAsync(url, key, body);
            var sent = upstream.LastSpacedStream;
            firstEvent.Add(Ms(arrivals[0] - started));
            // The last upstream event carries usage; the gateway answers it with its own closing chunk after settling.
            var content = Math.Min(arrivals.Count, sent.Length) - 1;
            for (var e = 0; e < content; e++)
            {
                lags.Add(Ms(arrivals[e] - sent[e]));
                compared++;
                if (arrivals[e] > sent[e + 1]) heldBack++;
            }
            if (arrivals.Count >= sent.Length) usageLags.Add(Ms(arrivals[sent.Length - 1] - sent[^1]));
        }
        return new StreamTiming(
            Percentile(firstEvent, 50), Percentile(firstEvent, 99),
            Percentile(lags, 50), Percentile(lags, 99), lags.Max(), compared, heldBack, Percentile(usageLags, 50));
    }

    /// <summary>Returns when the request was sent and when each data event (not [DONE]) fully arrived.</summary>
    private async Task<(long Started, List<long> Arrivals)> StreamOnceAsync(string url, string key, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var started = Stopwatch.GetTimestamp();
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        await using var stream = await response.Content.ReadAsStreamAsync();
        var arrivals = new List<long>(FakeUpstream.StreamEvents + 2);
        var buffer = new byte[64 * 1024];
        var pending = new List<byte>();
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            var now = Stopwatch.GetTimestamp();
            pending.AddRange(buffer.AsSpan(0, read));
            int end;
            while ((end = IndexOfEventEnd(pending)) >= 0)
            {
                var text = Encoding.UTF8.GetString(pending.GetRange(0, end).ToArray());
                pending.RemoveRange(0, end + 2);
                if (text.StartsWith("data: ") && !text.StartsWith("data: [DONE]")) arrivals.Add(now);
            }
        }
        return (started, arrivals);
    }

    private static int IndexOfEventEnd(List<byte> bytes)
    {
        for (var i = 0; i + 1 < bytes.Count; i++)
            if (bytes[i] == '\n' && bytes[i + 1] == '\n') return i;
        return -1;
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    public static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }
}
