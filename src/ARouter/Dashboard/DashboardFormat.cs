using System.Globalization;
using ARouter.Billing;

namespace ARouter.Dashboard;

/// <summary>How the dashboard writes money, prices and times: exact to the nano-dollar, UTC, invariant culture.</summary>
public static class DashboardFormat
{
    public static string Usd(long nanos) => (nanos < 0 ? "−$" : "$") + Money.FromNanos(Math.Abs(nanos)).ToString("0.00#######", CultureInfo.InvariantCulture);

    public static string SignedUsd(long nanos) => nanos > 0 ? "+" + Usd(nanos) : Usd(nanos);

    public static string PerMillion(decimal? usd) => usd is { } value ? "$" + value.ToString("0.00####", CultureInfo.InvariantCulture) : "—";

    public static string Tokens(int? count) => count is { } n ? n.ToString("N0", CultureInfo.InvariantCulture) : "—";

    public static string Context(int tokens) => tokens >= 1_000_000 && tokens % 1_000_000 == 0 ? $"{tokens / 1_000_000}M"
        : tokens >= 1000 ? $"{(tokens / 1000m).ToString("0.#", CultureInfo.InvariantCulture)}K" : tokens.ToString(CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC";

    public static string IsoTime(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
