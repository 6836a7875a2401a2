using System.Text;
using System.Text.Json;
using ARouter.Catalog;
using ARouter.Dialects.Sse;
using ARouter.Tests.FakeUpstream;
using ARouter.Tests.Infrastructure;

namespace ARouter.Tests;

/// <summary>A gateway whose ten OpenAI-wire providers are the in-process fakes; shared by a test class.</summary>
public class GatewayWithFakes : IAsyncLifetime
{
    public static readonly string[] OpenAiWireProviders = ["openai", "deepseek", "xai", "kimi", "minimax", "mistral", "groq", "cohere", "nvidia", "dashscope"];
    public static readonly ModelCatalog Catalog = ModelCatalog.Load(null);

    public FakeProviders Fakes { get; private set; } = null!;
    public GatewayHost Gateway { get; private set; } = null!;

    protected virtual IReadOnlyDictionary<string, string?> ExtraConfiguration => new Dictionary<string, string?>();

    /// <summary>The database engine the gateway runs on; see <see cref="RunsOnPostgresAttribute"/>.</summary>
    protected virtual StoreEngine Engine => StoreEngine.Sqlite;

    public virtual async Task InitializeAsync()
    {
        // Every test of a PostgreSQL class is skipped on a machine without it: start nothing for them.
        if (Engine == StoreEngine.Postgres && PostgresCluster.SkipReason is not null) return;
        Fakes = await FakeProviders.StartAsync();
        var configuration = new Dictionary<string, string?>(Fakes.GatewayConfiguration());
        foreach (var (key, value) in ExtraConfiguration) configuration[key] = value;
        Gateway = await GatewayHost.StartAsync(configuration, Engine);
    }

    public virtual async Task DisposeAsync()
    {
        if (Gateway is not null) await Gateway.DisposeAsync();
        if (Fakes is not null) await Fakes.DisposeAsync();
    }

    /// <summary>The first chat model the catalog lists for a provider.</summary>
    public static ModelRecord ChatModelOf(string provider) => Catalog.Models.First(m => m.Provider == provider && !m.IsEmbedding);

    public static string ChatBody(string model, bool stream = false, int? maxTokens = null, string prompt = "Say hello.")
        => JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["model"] = model,
            ["messages"] = new[] { new { role = "user", content = prompt } },
            ["stream"] = stream,
            ["max_tokens"] = maxTokens,
        }.Where(p => p.Value is not null).ToDictionary());

    /// <summary>Reads a raw SSE response with the gateway's own parser, returning each data payload.</summary>
    public static async Task<List<string>> ReadSseAsync(HttpResponseMessage response)
    {
        var events = new List<string>();
        await using var body = await response.Content.ReadAsStreamAsync();
        await foreach (var e in SseReader.ReadAsync(body, () => CancellationToken.None)) events.Add(Encoding.UTF8.GetString(e.Data.Span));
        return events;
    }
}

/// <summary>The same gateway and fakes on a fresh PostgreSQL database.</summary>
public sealed class PostgresGatewayWithFakes : GatewayWithFakes
{
    protected override StoreEngine Engine => StoreEngine.Postgres;
}
