using System.Diagnostics;

namespace ARouter.Bench;

/// <summary>How one target relays a spaced-out stream, over the probe's sequential streams.</summary>
public sealed record StreamTiming(
    double FirstEventP50Ms, double FirstEventP99Ms, double RequestToUpstreamP50Ms,
    double EventLagP50Ms, double EventLagP99Ms, double EventLagMaxMs,
    int EventsCompared, int EventsHeldBack, int EventsMissing, double UsageEventLagP50Ms);

/// <summary>One target's streams, each compared event by event with what the fake upstream wrote (Stopwatch timestamps).</summary>
public sealed class StreamSamples
{
    private readonly List<double> _firstEvent = [], _requestToUpstream = [], _lags = [], _usageLags = [];
    private int _compared, _heldBack, _missing;

    /// <param name="started">When the client sent the request.</param>
    /// <param name="arrivals">When each data event (not [DONE]) reached the client.</param>
    /// <param name="arrivedUpstream">When the request reached the fake upstream.</param>
    /// <param name="sent">When the fake upstream wrote each event; the last one carries usage.</param>
    public void Add(long started, IReadOnlyList<long> arrivals, long arrivedUpstream, long[] sent)
    {
        // A relay that dropped or merged events would otherwise just compare fewer of them.
        _missing += Math.Max(0, sent.Length - arrivals.Count);
        if (arrivals.Count == 0) return;
        _firstEvent.Add(Ms(arrivals[0] - started));
        _requestToUpstream.Add(Ms(arrivedUpstream - started));
        // The last upstream event carries usage; the gateway answers it with its own closing chunk after settling.
        var content = Math.Min(arrivals.Count, sent.Length) - 1;
        for (var e = 0; e < content; e++)
        {
            _lags.Add(Ms(arrivals[e] - sent[e]));
            _compared++;
            if (arrivals[e] > sent[e + 1]) _heldBack++;
        }
        if (arrivals.Count >= sent.Length) _usageLags.Add(Ms(arrivals[sent.Length - 1] - sent[^1]));
    }

    public StreamTiming Summary() => new(
        Percentile(_firstEvent, 50), Percentile(_firstEvent, 99), Percentile(_requestToUpstream, 50),
        Percentile(_lags, 50), Percentile(_lags, 99), _lags.Count == 0 ? double.NaN : _lags.Max(), _compared, _heldBack, _missing,
        Percentile(_usageLags, 50));

    /// <summary>Nearest rank: the smallest value with at least <paramref name="p"/> % of the values at or below it.</summary>
    public static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.Order().ToList();
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Count) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Count - 1)];
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
