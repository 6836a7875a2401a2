using System.Net.Sockets;
using System.Text;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests;

/// <summary>A gateway with short Kestrel timeouts, so slow clients are cut within a test's patience.</summary>
public sealed class SlowClientGateway : GatewayWithFakes
{
    protected override IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>
    {
        ["ARouter:RequestHeadersTimeoutSeconds"] = "2",
        ["ARouter:MinRequestBodyBytesPerSecond"] = "1000",
        ["ARouter:MinRequestBodyGraceSeconds"] = "2",
    };
}

/// <summary>Over-long headers and slow-loris clients are cut by Kestrel limits the gateway sets on purpose; checked over a raw socket.</summary>
public sealed class GatewayKestrelLimitsTests(SlowClientGateway fixture) : IClassFixture<SlowClientGateway>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private Task<TcpClient> ConnectAsync() => RawHttp.ConnectAsync(fixture.Gateway.BaseAddress);

    private static Task<(string Response, bool Closed)> ReadUntilClosedAsync(NetworkStream stream) => RawHttp.ReadUntilClosedAsync(stream, Patience);

    [Theory]
    [InlineData(40, 1_000)]   // 40 KB of headers, over the 32 KiB total
    [InlineData(150, 1)]      // 150 headers, over the count of 100
    public async Task Headers_over_the_total_size_or_count_get_431(int count, int length)
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        var request = new StringBuilder("GET /health HTTP/1.1\r\nHost: x\r\n");
        for (var i = 0; i < count; i++) request.Append($"X-Filler-{i}: {new string('a', length)}\r\n");
        request.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()));

        var (response, _) = await ReadUntilClosedAsync(stream);
        Assert.StartsWith("HTTP/1.1 431", response);
    }

    [Fact]
    public async Task A_client_that_never_finishes_its_headers_is_disconnected()
    {
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        await stream.WriteAsync("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer lr_live_"u8.ToArray());

        var (response, closed) = await ReadUntilClosedAsync(stream);
        Assert.True(closed, "the connection is still open: slow-loris headers are not cut");
        Assert.DoesNotContain("200 OK", response);
    }

    [Fact]
    public async Task A_body_that_trickles_in_is_cut_and_costs_nothing()
    {
        var account = await fixture.Gateway.CreateAccountAsync(1);
        using var client = await ConnectAsync();
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {account.Key}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"model\":"));

        // One byte a second, far below the minimum rate.
        using var trickle = new CancellationTokenSource(Patience);
        var reading = ReadUntilClosedAsync(stream);
        var sending = Task.Run(async () =>
        {
            try
            {
                while (!trickle.IsCancellationRequested && !reading.IsCompleted)
                {
                    await stream.WriteAsync("x"u8.ToArray(), trickle.Token);
                    await Task.Delay(1_000, trickle.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        });
        var (_, closed) = await reading;
        await trickle.CancelAsync();
        await sending;

        Assert.True(closed, "a body below the minimum data rate was not cut");
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }
}
