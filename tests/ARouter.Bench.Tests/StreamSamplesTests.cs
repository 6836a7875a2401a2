using System.Diagnostics;

namespace ARouter.Bench.Tests;

public class StreamSamplesTests
{
    private static readonly long Ms = Stopwatch.Frequency / 1000;

    /// <summary>The upstream writes four events 5 ms apart from t = 10 ms; the request reached it at 2 ms.</summary>
    private static readonly long[] Sent = [10 * Ms, 15 * Ms, 20 * Ms, 25 * Ms];

    [Fact]
    public void Each_event_is_timed_against_the_moment_the_upstream_wrote_it()
    {
        var samples = new StreamSamples();
        samples.Add(started: 0, arrivals: [11 * Ms, 16 * Ms, 22 * Ms, 28 * Ms], arrivedUpstream: 2 * Ms, Sent);

        var timing = samples.Summary();

        Assert.Equal(11, timing.FirstEventP50Ms, 6);
        Assert.Equal(2, timing.RequestToUpstreamP50Ms, 6);
        // The usage event (the last) is reported apart: the gateway answers it after settling.
        Assert.Equal(3, timing.EventsCompared);
        Assert.Equal(1, timing.EventLagP50Ms, 6);
        Assert.Equal(2, timing.EventLagMaxMs, 6);
        Assert.Equal(3, timing.UsageEventLagP50Ms, 6);
        Assert.Equal(0, timing.EventsHeldBack);
        Assert.Equal(0, timing.EventsMissing);
    }

    [Fact]
    public void An_event_that_arrives_after_the_upstream_wrote_the_next_one_was_held_back()
    {
        var samples = new StreamSamples();
        // The second event arrives at 21 ms, after the third was written (20 ms): a relay that waited for more.
        samples.Add(0, [11 * Ms, 21 * Ms, 21 * Ms, 26 * Ms], 2 * Ms, Sent);

        Assert.Equal(1, samples.Summary().EventsHeldBack);
    }

    [Fact]
    public void Events_that_never_arrived_as_their_own_are_counted_missing()
    {
        var samples = new StreamSamples();
        // Two upstream events came through as one: the client saw three.
        samples.Add(0, [11 * Ms, 21 * Ms, 26 * Ms], 2 * Ms, Sent);
        samples.Add(0, [], 2 * Ms, Sent);

        var timing = samples.Summary();

        Assert.Equal(1 + 4, timing.EventsMissing);
        Assert.Equal(2, timing.EventsCompared);
    }

    [Theory]
    [InlineData(50, 5)]
    [InlineData(99, 10)]
    [InlineData(100, 10)]
    [InlineData(1, 1)]
    [InlineData(10, 1)]
    [InlineData(11, 2)]
    public void Percentiles_are_nearest_rank(double p, double expected)
    {
        var values = Enumerable.Range(1, 10).Select(i => (double)(11 - i)).ToList();

        Assert.Equal(expected, StreamSamples.Percentile(values, p));
    }

    [Fact]
    public void No_values_have_no_percentile()
    {
        Assert.True(double.IsNaN(StreamSamples.Percentile([], 50)));
    }
}
