namespace ARouter.Billing;

/// <summary>
/// One request's prompt size: a cheap upper bound, known at once, and the exact (o200k) count, computed on first
/// use and kept. Counting exactly costs milliseconds for a long prompt (and the first count loads the ~40 MB
/// vocabulary), so it is done only where the answer depends on it: a hold the bound cannot cover, a context the bound
/// does not fit, billing without the provider's usage, a token count the caller asked for.
/// Used by one request at a time (its steps run one after another), so the cache needs no lock.
/// </summary>
public sealed class PromptSize
{
    private readonly TokenEstimator? _estimator;
    private readonly object? _input;
    private readonly Func<TokenEstimator, object, int>? _count;
    private int _exact = -1;

    internal PromptSize(int bound, TokenEstimator estimator, object input, Func<TokenEstimator, object, int> count)
    {
        Bound = bound;
        _estimator = estimator;
        _input = input;
        _count = count;
    }

    private PromptSize(int tokens)
    {
        Bound = tokens;
        _exact = tokens;
    }

    /// <summary>A size already known exactly.</summary>
    public static PromptSize Known(int tokens) => new(tokens);

    /// <summary>Never less than <see cref="Exact"/>: a byte-level BPE token is at least one UTF-8 byte.</summary>
    public int Bound { get; }

    /// <summary>The prompt as the gateway counts it (o200k, see <see cref="TokenEstimator"/>); counted on first use.</summary>
    public int Exact
    {
        get
        {
            if (_exact < 0) _exact = _count!(_estimator!, _input!);
            return _exact;
        }
    }

    public bool IsCounted => _exact >= 0;

    /// <summary>This size, but never more than <paramref name="limit"/> tokens (bound and exact count alike).</summary>
    public PromptSize AtMost(int limit)
    {
        if (Bound <= limit) return this;
        if (_estimator is null) return Known(Math.Min(Exact, limit));
        return new PromptSize(limit, _estimator, this, (_, self) => Math.Min(((PromptSize)self).Exact, limit));
    }

    /// <summary>Whether a context window holds the prompt plus <paramref name="output"/> tokens, counting only when the bound does not settle it.</summary>
    public bool FitsWith(long output, long contextLength) => Bound + output <= contextLength || Exact + output <= contextLength;
}
