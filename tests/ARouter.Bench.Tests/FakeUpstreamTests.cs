using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace ARouter.Bench.Tests;

[Collection(BenchCollection.Name)]
public class FakeUpstreamTests(BenchFixture bench)
{
    private static readonly HttpClient Http = new();

    private async Task<HttpResponseMessage> PostAsync(string body) =>
        await Http.PostAsync(bench.UpstreamUrl + Scenario.UpstreamPath, new StringContent(body, Encoding.UTF8, "application/json"));

    [Fact]
    public async Task A_completion_is_an_openai_chat_completion_with_usage()
    {
        using var response = await PostAsync(Scenario.All.Single(s => s.Name == "chat").UpstreamBody);

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal("assistant", root.GetProperty("choices")[0].GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("stop", root.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(23, root.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task A_stream_is_fifty_chunks_the_last_with_usage_and_empty_choices_then_done()
    {
        using var response = await PostAsync(Scenario.All.Single(s => s.Name == "chat-stream").UpstreamBody);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(FakeUpstream.StreamEvents + 1, events.Length);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("stop", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.Equal(47, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_spaced_stream_writes_its_events_the_gap_apart_and_records_when()
    {
        var before = Stopwatch.GetTimestamp();
        using var response = await PostAsync("{\"model\":\"gpt-5.4-mini\",\"stream\":true,\"user\":\"gap5\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        await response.Content.ReadAsStringAsync();

        var sent = bench.Upstream.LastSpacedStream;
        Assert.Equal(FakeUpstream.StreamEvents, sent.Length);
        Assert.True(bench.Upstream.LastSpacedArrival > before);
        Assert.True(sent[0] >= bench.Upstream.LastSpacedArrival);
        for (var i = 1; i < sent.Length; i++)
            // Task.Delay counts whole milliseconds of the system tick, so a 5 ms pause can end up to 1 ms early; 3 ms is plainly spaced.
            Assert.True(Stopwatch.GetElapsedTime(sent[i - 1], sent[i]) >= TimeSpan.FromMilliseconds(3), $"event {i} came {Stopwatch.GetElapsedTime(sent[i - 1], sent[i]).TotalMilliseconds} ms after the one before");
    }
}
