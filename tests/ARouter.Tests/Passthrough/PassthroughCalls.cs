using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Passthrough;

/// <summary>How a caller presents its ARouter key; passthrough must strip it wherever it came.</summary>
public enum KeyPlacement { Bearer, XApiKey, XGoogApiKey, QueryKey }

/// <summary>Calls through <c>/{provider}/{path}</c> and the checks every passthrough test shares.</summary>
public static class PassthroughCalls
{
    public static HttpRequestMessage Request(HttpMethod method, string path, string key, string? jsonBody = null, KeyPlacement placement = KeyPlacement.Bearer)
    {
        if (placement == KeyPlacement.QueryKey) path += (path.Contains('?') ? "&" : "?") + "key=" + key;
        var request = new HttpRequestMessage(method, path);
        switch (placement)
        {
            case KeyPlacement.Bearer: request.Headers.Authorization = new("Bearer", key); break;
            case KeyPlacement.XApiKey: request.Headers.Add("X-Api-Key", key); break;
            case KeyPlacement.XGoogApiKey: request.Headers.Add("x-goog-api-key", key); break;
        }
        if (jsonBody is not null) request.Content = new StringContent(jsonBody, Encoding.UTF8, "application/json");
        return request;
    }

    public static async Task<(int Status, string Body, HttpResponseMessage Response)> SendAsync(GatewayHost gateway, HttpRequestMessage request)
    {
        using (request)
        {
            var response = await gateway.Client.SendAsync(request);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response);
        }
    }

    /// <summary>The upstream saw the provider's key and nothing of the caller's: no <c>lr_live_</c> in any header, the query or the body.</summary>
    public static void AssertOnlyProviderKey(RecordedRequest seen, string callerKey)
    {
        foreach (var (name, value) in seen.Headers)
        {
            Assert.DoesNotContain(ARouter.Auth.ApiKeyFormat.Scheme, value, StringComparison.Ordinal);
            Assert.DoesNotContain(callerKey, value, StringComparison.Ordinal);
            Assert.NotEqual("x-provider-key", name);
        }
        Assert.DoesNotContain(ARouter.Auth.ApiKeyFormat.Scheme, seen.Query, StringComparison.Ordinal);
        Assert.DoesNotContain(ARouter.Auth.ApiKeyFormat.Scheme, seen.Body, StringComparison.Ordinal);
    }

    /// <summary>
    /// The charge is settled right after the last byte is copied, so a client that has read the whole body may
    /// ask a moment before it lands: wait for it, then assert the exact figure.
    /// </summary>
    public static async Task AssertBalanceAsync(GatewayHost gateway, string key, decimal expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        var balance = await gateway.BalanceAsync(key);
        while (balance != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            balance = await gateway.BalanceAsync(key);
        }
        Assert.Equal(expected, balance);
    }

    /// <summary>The generation record behind a passthrough response (its id comes in <c>X-Generation-Id</c>), once written.</summary>
    public static async Task<JsonElement> GenerationAsync(GatewayHost gateway, string key, HttpResponseMessage response)
    {
        var id = Assert.Single(response.Headers.GetValues("X-Generation-Id"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var (status, json) = await gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/generations/" + id, key);
            if (status == 200) return json.GetProperty("data");
            Assert.True(DateTime.UtcNow < deadline, $"generation {id} was never recorded (last status {status})");
            await Task.Delay(20);
        }
    }

    public static decimal Cost(string catalogModelId, TokenUsage usage)
        => Money.FromNanos(CostCalculator.CostNanos(GatewayWithFakes.Catalog.FindModel(catalogModelId)!.Price, usage));

    public static ModelRecord ModelByUpstreamId(string slug, string upstreamId)
        => GatewayWithFakes.Catalog.Models.First(m => m.Provider == slug && m.UpstreamId == upstreamId);

    /// <summary>Sends a request line exactly as written (HttpClient would normalise dot segments and backslashes first).</summary>
    public static async Task<(int Status, string Body)> SendRawAsync(GatewayHost gateway, string method, string target, string key)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(gateway.BaseAddress.Host, gateway.BaseAddress.Port);
        await using var stream = client.GetStream();
        // HTTP/1.0 so the answer is delimited by the connection closing, not chunked.
        var head = $"{method} {target} HTTP/1.0\r\nHost: {gateway.BaseAddress.Authority}\r\nAuthorization: Bearer {key}\r\nContent-Length: 0\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var status = int.Parse(text.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var bodyStart = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, bodyStart < 0 ? "" : text[(bodyStart + 4)..]);
    }
}
