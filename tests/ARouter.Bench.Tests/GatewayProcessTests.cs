using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ARouter.Bench.Tests;

[Collection(BenchCollection.Name)]
public class GatewayProcessTests(BenchFixture bench)
{
    private async Task<HttpResponseMessage> PostAsync(Scenario scenario)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, bench.GatewayUrl + scenario.GatewayPath)
        {
            Content = new StringContent(scenario.GatewayBody, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bench.Gateway.Key);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    [Fact]
    public async Task Its_pid_is_the_gateway_itself_so_its_cpu_time_is_the_gateways()
    {
        var commandLine = await File.ReadAllTextAsync($"/proc/{bench.Gateway.Pid}/cmdline");

        Assert.Contains("arouter.dll", commandLine);
        Assert.Contains("serve", commandLine);
    }

    [Fact]
    public async Task The_chat_scenario_is_answered_through_the_fake_with_its_cost()
    {
        using var response = await PostAsync(Scenario.All.Single(s => s.Name == "chat"));

        Assert.Equal(200, (int)response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var usage = json.RootElement.GetProperty("usage");
        Assert.Equal(23, usage.GetProperty("total_tokens").GetInt32());
        Assert.True(usage.GetProperty("cost").GetDecimal() > 0);
    }

    [Fact]
    public async Task The_stream_scenario_relays_every_chunk_and_closes_with_the_cost()
    {
        using var response = await PostAsync(Scenario.All.Single(s => s.Name == "chat-stream"));

        Assert.Equal(200, (int)response.StatusCode);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        // The fake's 48 content chunks and its finish, then the gateway's closing usage chunk.
        Assert.Equal(FakeUpstream.StreamEvents, events.Length - 1);
        using var last = JsonDocument.Parse(events[^2]["data: ".Length..]);
        Assert.True(last.RootElement.GetProperty("usage").GetProperty("cost").GetDecimal() > 0);
    }

    [Fact]
    public async Task The_passthrough_scenario_reaches_the_fake_with_the_key_injected()
    {
        using var response = await PostAsync(Scenario.All.Single(s => s.Name == "passthrough"));

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(FakeUpstream.Completion, await response.Content.ReadAsByteArrayAsync());
    }
}
