using System.Globalization;
using System.Text.RegularExpressions;

namespace ARouter.Tests.Observability;

/// <summary>One scrape of <c>/metrics</c>, read as Prometheus' text format: series name, labels, value.</summary>
public sealed partial class PrometheusScrape
{
    private readonly List<(string Name, Dictionary<string, string> Labels, double Value)> _series = [];

    private PrometheusScrape(string text)
    {
        Text = text;
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var match = Series().Match(line);
            Assert.True(match.Success, "not a Prometheus series line: " + line);
            var labels = Label().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value);
            _series.Add((match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }
    }

    public string Text { get; }

    public static async Task<PrometheusScrape> ReadAsync(GatewayHost gateway)
    {
        using var response = await gateway.Client.GetAsync("/metrics");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        return new PrometheusScrape(await response.Content.ReadAsStringAsync());
    }

    /// <summary>The sum of every series of <paramref name="name"/> whose labels include all of <paramref name="labels"/> ("key=value").</summary>
    public double Sum(string name, params string[] labels)
    {
        var wanted = labels.Select(l => l.Split('=', 2)).ToList();
        return _series.Where(s => s.Name == name && wanted.All(w => s.Labels.TryGetValue(w[0], out var v) && v == w[1])).Sum(s => s.Value);
    }

    /// <summary>How much <see cref="Sum"/> grew from an earlier scrape.</summary>
    public double Since(PrometheusScrape before, string name, params string[] labels) => Sum(name, labels) - before.Sum(name, labels);

    public bool Has(string name) => _series.Any(s => s.Name == name);

    public IEnumerable<string> LabelValues(string label) => _series.Where(s => s.Labels.ContainsKey(label)).Select(s => s.Labels[label]).Distinct();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial Regex Series();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
