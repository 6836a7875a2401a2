using System.Globalization;
using System.Net;
using System.Text;
using ARouter.Storage;

namespace ARouter.Dashboard;

/// <summary>One model's colour and total in the chart's legend.</summary>
public sealed record SpendSeries(string Model, int Color, long TotalNanos);

/// <summary>
/// Daily spend by model as a stacked bar chart, drawn as SVG on the server: no script, no charting
/// library, readable at any width. The six models with the most spend get their own colour; the rest
/// are "other". Each bar segment has a tooltip title; the page also offers the numbers as a table.
/// </summary>
public sealed class SpendChart
{
    public const int MaxSeries = 6;
    private const int Width = 720, Height = 220, Right = 8, Top = 12, Bottom = 28;
    private const double CharWidth = 6.6;

    private SpendChart(string svg, IReadOnlyList<SpendSeries> legend, IReadOnlyList<(DateOnly Day, long Nanos)> totals)
    {
        Svg = svg;
        Legend = legend;
        DailyTotals = totals;
    }

    /// <summary>The markup, safe to embed (every text is HTML-encoded).</summary>
    public string Svg { get; }
    public IReadOnlyList<SpendSeries> Legend { get; }
    public IReadOnlyList<(DateOnly Day, long Nanos)> DailyTotals { get; }

    public static SpendChart Build(IReadOnlyList<DailyModelSpend> rows, DateOnly today, int days = 30)
    {
        var first = today.AddDays(1 - days);
        var inRange = rows.Where(r => r.Day >= first && r.Day <= today).ToList();
        var ranked = inRange.GroupBy(r => r.Model).Select(g => (Model: g.Key, Total: g.Sum(r => r.CostNanos)))
            .OrderByDescending(m => m.Total).ThenBy(m => m.Model, StringComparer.Ordinal).ToList();
        var legend = ranked.Take(MaxSeries).Select((m, i) => new SpendSeries(m.Model, i, m.Total)).ToList();
        if (ranked.Count > MaxSeries) legend.Add(new SpendSeries("other", MaxSeries, ranked.Skip(MaxSeries).Sum(m => m.Total)));
        var colorOf = ranked.Take(MaxSeries).Select((m, i) => (m.Model, i)).ToDictionary(m => m.Model, m => m.i, StringComparer.Ordinal);

        var totals = Enumerable.Range(0, days).Select(i => first.AddDays(i))
            .Select(day => (day, inRange.Where(r => r.Day == day).Sum(r => r.CostNanos))).ToList();
        var max = Math.Max(1, totals.Max(t => t.Item2));
        var scaleMax = NiceCeiling(max);

        var ticks = new[] { 0, scaleMax / 2, scaleMax };
        // Wide enough for the longest axis label, however small the amounts are.
        var left = (int)Math.Ceiling(10 + CharWidth * ticks.Max(t => AxisLabel(t).Length));
        var plotWidth = Width - left - Right;
        var plotHeight = Height - Top - Bottom;
        var slot = plotWidth / (double)days;
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"chart-title\" xmlns=\"http://www.w3.org/2000/svg\">"));
        svg.Append(Invariant($"<title id=\"chart-title\">Daily spend by model, {first:yyyy-MM-dd} to {today:yyyy-MM-dd} (UTC)</title>"));
        foreach (var value in ticks)
        {
            var y = Top + plotHeight - plotHeight * (double)value / scaleMax;
            svg.Append(Invariant($"<line x1=\"{left}\" x2=\"{Width - Right}\" y1=\"{y:0.#}\" y2=\"{y:0.#}\" stroke=\"#e5e7eb\" stroke-width=\"1\"/>"));
            svg.Append(Invariant($"<text x=\"{left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{WebUtility.HtmlEncode(AxisLabel(value))}</text>"));
        }
        for (var i = 0; i < days; i++)
        {
            var day = first.AddDays(i);
            var x = left + i * slot + slot * 0.15;
            var barWidth = slot * 0.7;
            var y = (double)(Top + plotHeight);
            foreach (var segment in inRange.Where(r => r.Day == day)
                .GroupBy(r => colorOf.TryGetValue(r.Model, out var c) ? c : MaxSeries)
                .Select(g => (Color: g.Key, Nanos: g.Sum(r => r.CostNanos), Label: g.Key == MaxSeries ? "other" : g.First().Model))
                .OrderBy(s => s.Color))
            {
                if (segment.Nanos <= 0) continue;
                var h = Math.Max(1, plotHeight * (double)segment.Nanos / scaleMax);
                y -= h;
                svg.Append(Invariant($"<rect class=\"sw{segment.Color}\" x=\"{x:0.##}\" y=\"{y:0.##}\" width=\"{barWidth:0.##}\" height=\"{h:0.##}\">"));
                svg.Append("<title>").Append(WebUtility.HtmlEncode($"{day:yyyy-MM-dd} · {segment.Label}: {DashboardFormat.Usd(segment.Nanos)}")).Append("</title></rect>");
            }
            if (i % 5 == 4 || i == days - 1 && days % 5 != 0)
                svg.Append(Invariant($"<text x=\"{left + i * slot + slot / 2:0.#}\" y=\"{Height - 8}\" text-anchor=\"middle\">{day:MM-dd}</text>"));
        }
        svg.Append(Invariant($"<line x1=\"{left}\" x2=\"{Width - Right}\" y1=\"{Top + plotHeight}\" y2=\"{Top + plotHeight}\" stroke=\"#6b7280\" stroke-width=\"1\"/>"));
        svg.Append("</svg>");
        return new SpendChart(svg.ToString(), legend, totals);
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="nanos"/>, so the axis reads in round amounts.</summary>
    private static long NiceCeiling(long nanos)
    {
        long step = 1;
        while (true)
        {
            foreach (var m in new long[] { 1, 2, 5 })
                if (step * m >= nanos) return step * m;
            step *= 10;
        }
    }

    private static string AxisLabel(long nanos) => "$" + ARouter.Billing.Money.FromNanos(nanos).ToString("0.##########", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
