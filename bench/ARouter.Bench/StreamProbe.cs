using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace ARouter.Bench;

/// <summary>
/// Streams with events spaced <see cref="GapMs"/> apart, one at a time, and times each event's arrival at the client
/// against the moment the fake upstream wrote it (same process, same clock). An event counts as held back when it
/// arrives after the upstream had already written the next one.
/// </summary>
/// <param name="streams">Measured streams per target.</param>
/// <param name="warmupStreams">Unspaced streams per target before them (see <see cref="MeasureAsync"/>).</param>
public sealed class StreamProbe(FakeUpstream upstream, int streams = StreamProbe.DefaultStreams, int warmupStreams = StreamProbe.DefaultWarmupStreams)
{
    public const int GapMs = 5;
    public const int DefaultStreams = 20;
    public const int DefaultWarmupStreams = 300;

    public int Streams => streams;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false, AutomaticDecompression = System.Net.DecompressionMethods.None });

    /// <summary>Measures every target, taking turns stream by stream so a busy moment on the machine hits them all alike.</summary>
    public async Task<Dictionary<string, StreamTiming>> MeasureAsync(IReadOnlyList<(string Name, string Url, string Model)> targets, string key)
    {
        var bodies = targets.Select(t => Body(t.Model, GapMs)).ToList();
        // The load scenarios never stream through passthrough: without this warm-up its per-request code would still be
        // running unoptimised (the JIT tiers a method up after 30 calls) while it is measured.
        for (var t = 0; t < targets.Count; t++)
        {
            var unspaced = Body(targets[t].Model, 0);
            for (var i = 0; i < warmupStreams; i++) await StreamOnceAsync(targets[t].Url, key, unspaced);
        }
        for (var i = 0; i < 3; i++)
            for (var t = 0; t < targets.Count; t++) await StreamOnceAsync(targets[t].Url, key, bodies[t]);

        var samples = targets.Select(_ => new StreamSamples()).ToList();
        for (var i = 0; i < streams; i++)
        {
            // The order turns each round: a target measured right after another process's stream finds its own threads
            // parked and its caches cold, one measured after its own process's stream finds them warm; each takes both.
            for (var k = 0; k < targets.Count; k++)
            {
                var t = (i + k) % targets.Count;
                var (started, arrivals) = await StreamOnceAsync(targets[t].Url, key, bodies[t]);
                samples[t].Add(started, arrivals, upstream.LastSpacedArrival, upstream.LastSpacedStream);
            }
        }
        return targets.Select((t, i) => (t.Name, samples[i].Summary())).ToDictionary(x => x.Name, x => x.Item2);
    }

    private static string Body(string model, int gapMs) =>
        $"{{\"model\":\"{model}\",\"stream\":true,\"max_tokens\":64,\"user\":\"gap{gapMs}\",\"messages\":[{{\"role\":\"user\",\"content\":\"Count to fifty.\"}}]}}";

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
}
