using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Sse;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ARouter.Tests.Pipeline;

/// <summary>Dozens of clients leaving their streams at random points: each pays once, for what was generated, and every upstream call is cancelled.</summary>
public sealed class DisconnectStormTests(GatewayWithFakes fixture) : IClassFixture<GatewayWithFakes>
{
    private const int Streams = 48;
    private static readonly string Reply = string.Join(' ', Enumerable.Range(1, 60).Select(i => $"word{i}"));

    private sealed record Left(string? GenerationId, string TextSeen);

    [Fact]
    public async Task Streams_aborted_at_random_points_are_each_charged_at_most_once_for_what_was_generated_and_their_upstream_calls_are_cancelled()
    {
        var model = GatewayWithFakes.ChatModelOf("mistral");
        var account = await fixture.Gateway.CreateAccountAsync(5);
        var cancelledBefore = fixture.Fakes.CancelledStreams;
        fixture.Fakes.Script("mistral", FakeScript.Default with { Reply = Reply, Chunks = 30, ChunkDelay = TimeSpan.FromMilliseconds(40) });
        var random = new Random(20261201);
        var plans = Enumerable.Range(0, Streams).Select(_ => (Events: random.Next(0, 20), Abort: random.Next(3))).ToList();
        List<Left> left;
        try
        {
            left = (await Task.WhenAll(plans.Select(p => StreamAndLeaveAsync(model.Id, account.Key, p.Events, p.Abort)))).ToList();

            // The gateway noticed every departure and hung up on the provider.
            await Poll.UntilAsync(() => fixture.Fakes.CancelledStreams - cancelledBefore >= Streams && fixture.Fakes.OpenStreams == 0);
        }
        finally
        {
            fixture.Fakes.Script("mistral", FakeScript.Default);
        }

        var get = (string path) => fixture.Gateway.SendJsonAsync(HttpMethod.Get, path, account.Key);
        Dictionary<string, decimal> charges = [];
        await Poll.UntilAsync(async () => (charges = await Transactions.ChargesAsync(get)).Count >= left.Count(l => l.GenerationId is not null));
        await Task.Delay(300);
        charges = await Transactions.ChargesAsync(get);
        Assert.InRange(charges.Count, left.Count(l => l.GenerationId is not null), Streams);

        var tokens = fixture.Gateway.Services.GetRequiredService<TokenEstimator>();
        var price = model.Price;
        var wholeReply = CostCalculator.CostNanos(price, new TokenUsage(TokenEstimator.WithMargin(tokens.Count("Say hello.")) + 20, tokens.Count(Reply)));
        foreach (var l in left.Where(l => l.GenerationId is not null))
        {
            var (status, generation) = await get("/api/v1/generations/" + l.GenerationId);
            Assert.Equal(200, status);
            var data = generation.GetProperty("data");
            Assert.Equal(499, data.GetProperty("status").GetInt32());
            var completion = data.GetProperty("completion_tokens").GetInt32();
            // At least what this client read, at most the whole reply: the provider stopped when the client left.
            Assert.InRange(completion, tokens.Count(l.TextSeen.Trim()) == 0 ? 0 : 1, tokens.Count(Reply));
            Assert.Equal(charges[l.GenerationId!], data.GetProperty("cost").GetDecimal());
            Assert.True(Money.ToNanos(charges[l.GenerationId!]) <= wholeReply, "never more than the whole reply would have cost");
        }
        Assert.Equal(5m - charges.Values.Sum(), await fixture.Gateway.BalanceAsync(account.Key));
    }

    /// <summary>Reads <paramref name="events"/> events, then leaves: 0 disposes the response, 1 cancels the read, 2 cancels and disposes the client.</summary>
    private async Task<Left> StreamAndLeaveAsync(string model, string key, int events, int abort)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = fixture.Gateway.BaseAddress };
        using var leave = new CancellationTokenSource();
        using var request = fixture.Gateway.Request(HttpMethod.Post, "/v1/chat/completions", key, GatewayWithFakes.ChatBody(model, stream: true, maxTokens: 500));
        string? generationId = null;
        var text = new StringBuilder();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
            Assert.Equal(200, (int)response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync(leave.Token);
            var seen = 0;
            await foreach (var e in SseReader.ReadAsync(body, () => leave.Token))
            {
                if (seen++ == events)
                {
                    if (abort > 0) await leave.CancelAsync();
                    break;
                }
                using var json = JsonDocument.Parse(e.Data);
                generationId ??= json.RootElement.GetProperty("id").GetString();
                foreach (var choice in json.RootElement.GetProperty("choices").EnumerateArray())
                    if (choice.GetProperty("delta").TryGetProperty("content", out var content)) text.Append(content.GetString());
            }
            if (abort == 2) client.CancelPendingRequests();
        }
        catch (OperationCanceledException) when (leave.IsCancellationRequested)
        {
        }
        return new Left(generationId, text.ToString());
    }
}
