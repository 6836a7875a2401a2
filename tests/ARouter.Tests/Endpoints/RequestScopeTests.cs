using System.Collections.Concurrent;
using ARouter.Tests.FakeUpstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ARouter.Tests.Endpoints;

/// <summary>
/// The endpoints' handlers are singletons, found once: a request that reaches them does not create a DI scope (it used
/// to, by resolving its handler through <c>HttpContext.RequestServices</c>, and disposed it at its end).
/// </summary>
public sealed class RequestScopeTests
{
    [Fact]
    public async Task Chat_stream_passthrough_and_balance_requests_create_no_request_scope()
    {
        await using var fakes = await FakeProviders.StartAsync();
        var seen = new ScopeSeen();
        await using var gateway = await GatewayHost.StartAsync(fakes.GatewayConfiguration(), configure: builder => builder.Services.AddSingleton<IStartupFilter>(seen));
        var account = await gateway.CreateAccountAsync(10m);
        var model = GatewayWithFakes.ChatModelOf("openai");
        var requests = new (string Label, Func<HttpRequestMessage> Make)[]
        {
            ("chat", () => gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(model.Id))),
            ("stream", () => gateway.Request(HttpMethod.Post, "/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(model.Id, stream: true))),
            ("passthrough", () => gateway.Request(HttpMethod.Post, "/openai/v1/chat/completions", account.Key, GatewayWithFakes.ChatBody(model.Id["openai/".Length..]))),
            ("messages", () => gateway.Request(HttpMethod.Post, "/v1/messages", account.Key, $$"""{"model":"{{model.Id}}","max_tokens":16,"messages":[{"role":"user","content":"Hi"}]}""")),
            ("balance", () => gateway.Request(HttpMethod.Get, "/api/v1/balance", account.Key)),
        };

        var scoped = new List<(string, bool)>();
        foreach (var (label, make) in requests)
        {
            // The first request to an endpoint finds the services it shares from the container once; the second shows a request's own cost.
            for (var i = 0; i < 2; i++)
            {
                using var request = make();
                request.Headers.Add(ScopeSeen.Probe, $"{label}-{i}");
                using var response = await gateway.Client.SendAsync(request);
                Assert.Equal(200, (int)response.StatusCode);
                await response.Content.ReadAsStringAsync();
            }
            scoped.Add((label, await seen.AskedAsync($"{label}-1")));
        }

        Assert.Equal([("chat", false), ("stream", false), ("passthrough", false), ("messages", false), ("balance", false)], scoped);
    }

    /// <summary>Outside the whole pipeline: whether anything asked the request for its own service container.</summary>
    private sealed class ScopeSeen : IStartupFilter
    {
        public const string Probe = "x-scope-probe";
        private readonly ConcurrentDictionary<string, bool> _asked = new();

        /// <summary>The client can read the whole response before the pipeline has returned, so this waits for the request's own answer.</summary>
        public async Task<bool> AskedAsync(string probe)
        {
            for (var waited = 0; waited < 5000; waited += 10)
            {
                if (_asked.TryGetValue(probe, out var asked))
                    return asked;
                await Task.Delay(10);
            }
            throw new TimeoutException($"the pipeline never finished request {probe}");
        }

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            var scopes = app.ApplicationServices.GetRequiredService<IServiceScopeFactory>();
            app.Use(async (context, inner) =>
            {
                // The framework makes this feature on first use; this one is made the same way, and watched.
                var watched = new WatchedServices(context.Features.Get<IServiceProvidersFeature>() ?? new RequestServicesFeature(context, scopes));
                context.Features.Set<IServiceProvidersFeature>(watched);
                await inner(context);
                _asked[context.Request.Headers[Probe].ToString()] = watched.Asked;
            });
            next(app);
        };
    }

    private sealed class WatchedServices(IServiceProvidersFeature inner) : IServiceProvidersFeature
    {
        public bool Asked { get; private set; }

        public IServiceProvider RequestServices
        {
            get
            {
                Asked = true;
                return inner.RequestServices;
            }
            set => inner.RequestServices = value;
        }
    }
}
