namespace ARouter.Bench.Tests;

[Collection(BenchCollection.Name)]
public class StreamProbeTests(BenchFixture bench)
{
    [Fact]
    public async Task Every_target_is_measured_over_every_event_of_its_streams()
    {
        var probe = new StreamProbe(bench.Upstream, streams: 2, warmupStreams: 2);
        var gateway = bench.GatewayUrl;

        var timings = await probe.MeasureAsync(
        [
            ("direct", bench.UpstreamUrl + Scenario.UpstreamPath, Scenario.UpstreamModel),
            ("gateway_chat", gateway + "/v1/chat/completions", "openai/gpt-5.4-mini"),
            ("gateway_passthrough", gateway + "/openai/v1/chat/completions", Scenario.UpstreamModel),
        ], bench.Gateway.Key);

        Assert.Equal(["direct", "gateway_chat", "gateway_passthrough"], timings.Keys.Order());
        foreach (var (name, timing) in timings)
        {
            // Every event but the usage one, in both streams; none lost or merged on the way.
            Assert.True(timing.EventsCompared == 2 * (FakeUpstream.StreamEvents - 1), $"{name}: {timing.EventsCompared} compared");
            Assert.True(timing.EventsMissing == 0, $"{name}: {timing.EventsMissing} missing");
            Assert.True(timing.RequestToUpstreamP50Ms > 0 && timing.RequestToUpstreamP50Ms < timing.FirstEventP50Ms, $"{name}: {timing}");
            // Events are 5 ms apart at the upstream; a relay's lag is far below that gap unless it holds them.
            Assert.InRange(timing.EventLagP50Ms, 0, StreamProbe.GapMs);
        }
    }
}
