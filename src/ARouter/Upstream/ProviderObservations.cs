using System.Collections.Concurrent;
using System.Numerics;
using Microsoft.Extensions.Options;

namespace ARouter.Upstream;

/// <summary>What the gateway has seen of a provider (or one of its models) lately; null where it has not measured.</summary>
public readonly record struct Observed(double? FirstByteMs, double? TokensPerSecond, double? ErrorRatio);

/// <summary>
/// Latency, throughput and error rate per provider and per model, from the gateway's own calls: moving averages
/// (EWMA) of the time to the first stream event and of tokens per second while streaming, and the share of failures
/// among the last <see cref="HealthOptions.ErrorWindow"/> calls. Each track is a few numbers under its own lock,
/// held for a handful of instructions, so requests to different providers never contend.
/// </summary>
public sealed class ProviderObservations(IOptions<HealthOptions> options)
{
    private readonly ConcurrentDictionary<string, Track> _providers = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, Track> _models = new(StringComparer.Ordinal);

    /// <summary>A call that answered. <paramref name="firstByte"/> and <paramref name="tokensPerSecond"/> are known for streams only.</summary>
    public void Succeeded(string provider, string model, TimeSpan? firstByte, double? tokensPerSecond)
        => Record(provider, model, failed: false, firstByte?.TotalMilliseconds, tokensPerSecond);

    /// <summary>A call the provider failed: unreachable, timed out, 5xx, rate limited, or a stream that broke off.</summary>
    public void Failed(string provider, string model) => Record(provider, model, failed: true, null, null);

    private void Record(string provider, string model, bool failed, double? firstByteMs, double? tokensPerSecond)
    {
        var settings = options.Value;
        var window = Math.Clamp(settings.ErrorWindow, 1, 64);
        _providers.GetOrAdd(provider, static _ => new Track()).Add(failed, firstByteMs, tokensPerSecond, settings.EwmaWeight, window);
        _models.GetOrAdd(model, static _ => new Track()).Add(failed, firstByteMs, tokensPerSecond, settings.EwmaWeight, window);
    }

    /// <summary>The model's own figures where it has them, else its provider's.</summary>
    public Observed Of(string provider, string model)
    {
        var minimum = Math.Max(1, options.Value.MinimumSamples);
        var own = _models.TryGetValue(model, out var m) ? m.Read(minimum) : default;
        var shared = _providers.TryGetValue(provider, out var p) ? p.Read(minimum) : default;
        return new Observed(own.FirstByteMs ?? shared.FirstByteMs, own.TokensPerSecond ?? shared.TokensPerSecond, own.ErrorRatio ?? shared.ErrorRatio);
    }

    private sealed class Track
    {
        private readonly Lock _lock = new();
        private double _firstByteMs, _tokensPerSecond;
        private bool _hasFirstByte, _hasThroughput;
        // The latest outcomes as bits, newest lowest: 1 = failed.
        private ulong _outcomes;
        private int _count;

        public void Add(bool failed, double? firstByteMs, double? tokensPerSecond, double weight, int window)
        {
            lock (_lock)
            {
                _outcomes = (_outcomes << 1) | (failed ? 1UL : 0UL);
                _count = Math.Min(window, _count + 1);
                if (firstByteMs is { } ms)
                {
                    _firstByteMs = _hasFirstByte ? _firstByteMs + weight * (ms - _firstByteMs) : ms;
                    _hasFirstByte = true;
                }
                if (tokensPerSecond is { } rate)
                {
                    _tokensPerSecond = _hasThroughput ? _tokensPerSecond + weight * (rate - _tokensPerSecond) : rate;
                    _hasThroughput = true;
                }
            }
        }

        public Observed Read(int minimumSamples)
        {
            lock (_lock)
            {
                var mask = _count >= 64 ? ulong.MaxValue : (1UL << _count) - 1;
                double? ratio = _count >= minimumSamples ? BitOperations.PopCount(_outcomes & mask) / (double)_count : null;
                return new Observed(_hasFirstByte ? _firstByteMs : null, _hasThroughput ? _tokensPerSecond : null, ratio);
            }
        }
    }
}
