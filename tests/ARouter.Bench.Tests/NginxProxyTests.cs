using ARouter.Tests.Infrastructure;
using System.Text;

namespace ARouter.Bench.Tests;

[Collection(BenchCollection.Name)]
public class NginxProxyTests(BenchFixture bench)
{
    [NeedsNginxFact]
    public async Task Nginx_relays_the_upstreams_completion_and_stream_unchanged()
    {
        var workDir = Directory.CreateTempSubdirectory("arouter-bench-nginx-").FullName;
        try
        {
            await using var nginx = (await NginxProxy.StartAsync(workDir, Loopback.FreePort(), bench.Upstream.Port))!;
            using var http = new HttpClient();
            foreach (var scenario in Scenario.All.Where(s => s.Name != "passthrough"))
            {
                var body = new StringContent(scenario.UpstreamBody, Encoding.UTF8, "application/json");
                var viaNginx = await (await http.PostAsync($"http://127.0.0.1:{nginx.Port}{Scenario.UpstreamPath}", body)).Content.ReadAsByteArrayAsync();
                body = new StringContent(scenario.UpstreamBody, Encoding.UTF8, "application/json");
                var direct = await (await http.PostAsync(bench.UpstreamUrl + Scenario.UpstreamPath, body)).Content.ReadAsByteArrayAsync();

                Assert.Equal(direct, viaNginx);
            }
            // Its workers are the master's children, so their CPU time is charged to it.
            Assert.NotEmpty(ProcStats.Children(nginx.Pid));
        }
        finally
        {
            Directory.Delete(workDir, recursive: true);
        }
    }
}
