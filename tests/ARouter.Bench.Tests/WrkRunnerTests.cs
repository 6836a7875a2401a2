using ARouter.Tests.Infrastructure;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ARouter.Bench.Tests;

public class WrkRunnerTests
{
    private static readonly string Script = Path.Combine(Repository.Root(), "bench", "post.lua");

    [Fact]
    public void The_result_line_is_found_among_wrks_own_output()
    {
        const string stdout = """
            Running 1s test @ http://127.0.0.1:1/v1/chat/completions
              1 threads and 1 connections
            BENCH_RESULT {"requests":1200,"duration_us":1000000,"bytes":900000,"connect_errors":0,"read_errors":1,"write_errors":0,"status_errors":2,"timeouts":3,"mean_us":80.5,"max_us":900,"p50_us":70,"p90_us":95,"p99_us":300,"p999_us":800}
            """;

        var result = WrkResult.Parse(stdout)!;

        Assert.Equal(1200, result.Requests);
        Assert.Equal(1200, result.Throughput, 6);
        Assert.Equal(6, result.Errors);
        Assert.Equal((70, 95, 300, 900), (result.P50Us, result.P90Us, result.P99Us, result.MaxUs));
        Assert.Null(WrkResult.Parse("wrk: no such script"));
    }

    [NeedsWrkFact]
    public async Task Wrk_posts_the_body_with_the_key_and_reports_requests_and_percentiles()
    {
        var body = Scenario.All.Single(s => s.Name == "chat").GatewayBody;
        // Answers 200 only to the scenario's body with the key, 2 ms late, so the run stays light beside other tests.
        await using var server = await StartAsync(async http =>
        {
            using var reader = new StreamReader(http.Request.Body, Encoding.UTF8);
            var posted = await reader.ReadToEndAsync();
            await Task.Delay(2);
            var expected = http.Request.Method == "POST" && posted == body && http.Request.ContentType == "application/json"
                && http.Request.Headers.Authorization == "Bearer lr_live_bench";
            http.Response.StatusCode = expected ? 200 : 400;
            if (expected) await http.Response.Body.WriteAsync(FakeUpstream.Completion);
        });

        var result = await new WrkRunner(Script).RunAsync(server.Url, body, "lr_live_bench", 1, TimeSpan.FromSeconds(1));

        // Every request was the scenario's, with the key: none answered 400.
        Assert.True(result.Requests > 0, $"{result.Requests} requests");
        Assert.Equal(0, result.Errors);
        Assert.InRange(result.DurationUs, 900_000, 2_000_000);
        Assert.True(result.P50Us >= 2_000 && result.P50Us <= result.P99Us && result.P99Us <= result.MaxUs, $"{result}");
    }

    [NeedsWrkFact]
    public async Task Refused_requests_are_counted_as_errors_not_as_throughput()
    {
        await using var server = await StartAsync(async http =>
        {
            await Task.Delay(2);
            http.Response.StatusCode = StatusCodes.Status402PaymentRequired;
        });

        var result = await new WrkRunner(Script).RunAsync(server.Url, "{}", "unused", 1, TimeSpan.FromSeconds(1));

        Assert.True(result.Requests > 0);
        Assert.Equal(result.Requests, result.StatusErrors, tolerance: 1);
    }

    private static async Task<LocalServer> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var port = Loopback.FreePort();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        var url = $"http://127.0.0.1:{port}/v1/chat/completions";
        // One request first, so wrk's single second is not spent on the server's first (JIT-compiled) answer: in a
        // loaded CI run that took the whole second and wrk counted no request.
        using var http = new HttpClient();
        (await http.PostAsync(url, new StringContent("{}"))).Dispose();
        return new LocalServer(app, url);
    }

    private sealed record LocalServer(WebApplication App, string Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
