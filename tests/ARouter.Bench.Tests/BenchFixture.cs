using ARouter.Tests.Infrastructure;

namespace ARouter.Bench.Tests;

/// <summary>The fake upstream and the gateway as the benchmark starts them (the gateway is the Debug build beside the tests).</summary>
public sealed class BenchFixture : IAsyncLifetime
{
    public FakeUpstream Upstream { get; private set; } = null!;
    public GatewayProcess Gateway { get; private set; } = null!;
    public string WorkDir { get; } = Directory.CreateTempSubdirectory("arouter-bench-tests-").FullName;

    public string UpstreamUrl => $"http://127.0.0.1:{Upstream.Port}";
    public string GatewayUrl => $"http://127.0.0.1:{Gateway.Port}";

    public async Task InitializeAsync()
    {
        Upstream = await FakeUpstream.StartAsync(Loopback.FreePort());
        Gateway = await GatewayProcess.StartAsync(Path.Combine(AppContext.BaseDirectory, "arouter.dll"), WorkDir, Loopback.FreePort(), Upstream.Port, new Dictionary<string, string>());
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
        Directory.Delete(WorkDir, recursive: true);
    }
}

/// <summary>One fake upstream and one gateway for every test that needs them; the tests using them take turns.</summary>
[CollectionDefinition(Name)]
public sealed class BenchCollection : ICollectionFixture<BenchFixture>
{
    public const string Name = "bench";
}

/// <summary>A fact that needs wrk (Debian package <c>wrk</c>).</summary>
public sealed class NeedsWrkFactAttribute() : NeedsBinaryFactAttribute(File.Exists(WrkRunner.Binary) ? WrkRunner.Binary : null, "wrk");

/// <summary>A fact that needs nginx (Debian package <c>nginx</c>).</summary>
public sealed class NeedsNginxFactAttribute() : NeedsBinaryFactAttribute(File.Exists(NginxProxy.Binary) ? NginxProxy.Binary : null, "nginx");
