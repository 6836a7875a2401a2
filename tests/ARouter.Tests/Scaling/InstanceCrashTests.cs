using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests.Scaling;

/// <summary>Leases short enough for a test: a dead instance's holds lapse within a few seconds.</summary>
public sealed class TwoGatewaysWithShortLeasesOnSqlite : TwoGateways
{
    protected override int LeaseSeconds => InstanceCrashTests.Lease;
}

public sealed class TwoGatewaysWithShortLeasesOnPostgres : TwoGateways
{
    protected override int LeaseSeconds => InstanceCrashTests.Lease;
    protected override StoreEngine Engine => StoreEngine.Postgres;
}

public sealed class InstanceCrashOnSqliteTests(TwoGatewaysWithShortLeasesOnSqlite fixture) : InstanceCrashTests(fixture), IClassFixture<TwoGatewaysWithShortLeasesOnSqlite>;

[RunsOnPostgres]
public sealed class InstanceCrashOnPostgresTests(TwoGatewaysWithShortLeasesOnPostgres fixture) : InstanceCrashTests(fixture), IClassFixture<TwoGatewaysWithShortLeasesOnPostgres>;

/// <summary>An instance killed outright mid-load (SIGKILL, no draining) loses no charge it acknowledged and strands no credit.</summary>
public abstract class InstanceCrashTests(TwoGateways fixture)
{
    public const int Lease = 6;

    private GatewayHost A => fixture.A;

    [NeedsRedisFact]
    public async Task An_instance_killed_mid_load_loses_no_settled_charge_and_its_holds_lapse_with_their_lease()
    {
        var account = await A.CreateAccountAsync(5.05m);
        // Slow streams (mistral) hold credit on the doomed instance while quick requests (deepseek) settle on it.
        fixture.Fakes.Script("mistral", FakeScript.Default with { CompletionTokens = TwoGateways.FlatMaxTokens, Chunks = 60, ChunkDelay = TimeSpan.FromSeconds(1) });
        await using var doomed = await GatewayProcess.StartAsync(fixture.Configuration());

        var streams = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(GatewayWithFakes.ChatBody(TwoGateways.SlowFlatModel, stream: true, maxTokens: TwoGateways.FlatMaxTokens), System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new("Bearer", account.Key);
            var response = await doomed.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            streams.Add(response);
        }

        // Quick requests keep arriving until the kill; every one answered with a cost must survive it.
        var settled = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(TwoGateways.FlatBody(), System.Text.Encoding.UTF8, "application/json") };
                    request.Headers.Authorization = new("Bearer", account.Key);
                    using var response = await doomed.Client.SendAsync(request);
                    if (response.StatusCode != HttpStatusCode.OK) continue;
                    using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    if (json.RootElement.GetProperty("usage").GetProperty("cost").GetDecimal() == TwoGateways.FlatCost) settled.Add(json.RootElement.GetProperty("id").GetString()!);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
                {
                    return;
                }
            }
        })).ToList();
        var clock = Stopwatch.StartNew();
        while (settled.Count < 10 && clock.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(20);
        Assert.True(settled.Count >= 10, "the doomed instance did not settle requests");
        await doomed.KillAsync();
        stop.Cancel();
        await Task.WhenAll(workers);
        foreach (var stream in streams) stream.Dispose();

        // No acknowledged charge was lost (a request charged just before the kill may not have had its answer yet).
        var beforeLapse = (await TwoGateways.TransactionsAsync(A, account.Key)).Where(t => t.GetProperty("type").GetString() == "charge").ToList();
        var settledIds = settled.ToHashSet();
        Assert.Superset(settledIds, beforeLapse.Select(c => c.GetProperty("generation_id").GetString()!).ToHashSet());

        // The ten streams' holds (1.00) outlive their instance for up to one lease: the whole balance cannot be held meanwhile.
        var available = 5.05m + beforeLapse.Sum(c => c.GetProperty("amount").GetDecimal());
        var all = (int)(available / 0.001m);
        var (whileHeld, _) = await A.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, TwoGateways.FlatBody(maxTokens: all));
        Assert.Equal(402, whileHeld);

        // After the lease nothing is held any more: the whole balance can be reserved again.
        var lapsed = Stopwatch.StartNew();
        int status;
        do
        {
            await Task.Delay(250);
            (status, _) = await A.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, TwoGateways.FlatBody(maxTokens: all));
        } while (status == 402 && lapsed.Elapsed < TimeSpan.FromSeconds(Lease * 4));
        Assert.Equal(200, status);

        // The ledger adds up: the charges before the kill plus the one just made, nothing else.
        var charges = (await TwoGateways.TransactionsAsync(A, account.Key)).Where(t => t.GetProperty("type").GetString() == "charge").ToList();
        Assert.Equal(beforeLapse.Count + 1, charges.Count);
        var total = charges.Sum(c => -c.GetProperty("amount").GetDecimal());
        Assert.Equal(TwoGateways.FlatCost * charges.Count, total);
        await TwoGateways.Eventually(async () => await A.BalanceAsync(account.Key) == 5.05m - total);
    }

    [NeedsRedisFact]
    public async Task A_stream_longer_than_the_lease_keeps_its_hold_on_every_instance_until_it_is_charged()
    {
        var account = await A.CreateAccountAsync(1.05m);
        // One stream of about 2.5 leases on A; its 0.10 hold must not lapse while it runs.
        fixture.Fakes.Script("mistral", FakeScript.Default with { CompletionTokens = TwoGateways.FlatMaxTokens, Chunks = 15, ChunkDelay = TimeSpan.FromSeconds(1) });
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var streaming = Task.Run(async () =>
        {
            using var request = A.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(TwoGateways.SlowFlatModel, stream: true, maxTokens: TwoGateways.FlatMaxTokens));
            using var response = await A.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            started.SetResult();
            return await GatewayWithFakes.ReadSseAsync(response);
        });
        // The hold exists once the stream has begun (the gateway holds before calling the provider).
        await Task.WhenAny(started.Task, streaming);
        Assert.True(started.Task.IsCompleted, "the stream did not start");

        // Everything but the hold (0.95) is what B may hold, the whole time: 0.96 is refused, 0.95 would do.
        var clock = Stopwatch.StartNew();
        var refusals = 0;
        while (!streaming.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(Lease * 2.2))
        {
            var (status, json) = await fixture.B.SendJsonAsync(HttpMethod.Post, "/v1/chat/completions", account.Key, TwoGateways.FlatBody(maxTokens: 960));
            Assert.True(status == 402, $"after {clock.Elapsed} B could hold more than the stream left: {status} {json}");
            refusals++;
            await Task.Delay(500);
        }
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(Lease * 2), "the stream ended before outliving two leases");

        var events = await streaming;
        Assert.Contains(events, e => e.Contains("\"cost\""));
        Assert.Equal("[DONE]", events[^1]);
        await TwoGateways.Eventually(async () => await fixture.B.BalanceAsync(account.Key) == 0.95m);
        Assert.True(refusals > 10);
    }
}
