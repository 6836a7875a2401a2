namespace ARouter.Billing;

/// <summary>
/// USD amounts: <see cref="decimal"/> in code, integer nano-USD in storage so SQL arithmetic is exact.
/// </summary>
public static class Money
{
    public const long NanosPerDollar = 1_000_000_000;

    /// <summary>Converts to nano-USD, rounding a fraction of a nano up so a charge is never rounded to free.</summary>
    public static long ToNanos(decimal usd) => (long)decimal.Ceiling(usd * NanosPerDollar);

    public static decimal FromNanos(long nanos) => nanos / (decimal)NanosPerDollar;

    /// <summary>Formats as a plain decimal string with no exponent and no trailing zeros.</summary>
    public static string Format(decimal usd) => usd.ToString("0.#############################", System.Globalization.CultureInfo.InvariantCulture);
}
