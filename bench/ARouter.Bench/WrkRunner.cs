using System.Diagnostics;
using System.Text.Json;

namespace ARouter.Bench;

/// <summary>One wrk run's numbers (latency in µs), as <c>post.lua</c> prints them.</summary>
public sealed record WrkResult(
    long Requests, long DurationUs, long Bytes, long ConnectErrors, long ReadErrors, long WriteErrors, long StatusErrors, long Timeouts,
    double MeanUs, long MaxUs, long P50Us, long P90Us, long P99Us, long P999Us)
{
    public double Throughput => Requests / (DurationUs / 1e6);
    /// <summary>Socket errors, timeouts and every answer with a status of 400 or more (wrk counts those as status errors).</summary>
    public long Errors => ConnectErrors + ReadErrors + WriteErrors + StatusErrors + Timeouts;

    private const string Marker = "BENCH_RESULT ";
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The result line <c>post.lua</c> prints among wrk's output, or null when there is none.</summary>
    public static WrkResult? Parse(string stdout) =>
        stdout.Split('\n').FirstOrDefault(l => l.StartsWith(Marker, StringComparison.Ordinal)) is { } line
            ? JsonSerializer.Deserialize<WrkResult>(line[Marker.Length..], Json)
            : null;
}

/// <summary>Drives load with wrk (a real load tool, cheap on CPU): one thread, N keep-alive connections, a fixed duration.</summary>
public sealed class WrkRunner(string script)
{
    public const string Binary = "/usr/bin/wrk";

    public async Task<WrkResult> RunAsync(string url, string body, string key, int connections, TimeSpan duration)
    {
        var start = new ProcessStartInfo(Binary, ["-t1", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--timeout", "10s", "-s", script, url])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["BENCH_BODY"] = body;
        start.Environment["BENCH_KEY"] = key;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start wrk");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return WrkResult.Parse(await stdout) ?? throw new InvalidOperationException($"wrk printed no result: {await stdout} {await stderr}");
    }
}
