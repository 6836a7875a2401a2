using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ARouter.Tests.Dashboard;

/// <summary>
/// The dashboard's sign-in runs for its pages and not for the API: registering its cookie scheme makes ASP.NET Core
/// add the authentication middleware for every request unless the gateway's own pipeline says it has it
/// (<c>DashboardSetup.UseDashboardSignIn</c>, which marks the pipeline by hand — this test is what notices if the
/// framework's marks change).
/// </summary>
public sealed class DashboardSignInScopeTests
{
    [Fact]
    public async Task Api_requests_skip_the_dashboards_sign_in_and_its_pages_go_through_it()
    {
        var seen = new AuthenticationSeen();
        await using var gateway = await GatewayHost.StartAsync(configure: builder => builder.Services.AddSingleton<IStartupFilter>(seen));

        foreach (var path in new[] { "/v1/models", "/api/v1/balance", "/signin", "/" })
            using (await gateway.Client.GetAsync(path)) { }

        Assert.Equal(
            [("/v1/models", false), ("/api/v1/balance", false), ("/signin", true), ("/", true)],
            new[] { "/v1/models", "/api/v1/balance", "/signin", "/" }.Select(p => (p, seen.Ran[p])));
    }

    /// <summary>Outside the whole pipeline: after each request, whether the authentication middleware ran for it (it sets this feature).</summary>
    private sealed class AuthenticationSeen : IStartupFilter
    {
        public ConcurrentDictionary<string, bool> Ran { get; } = new(StringComparer.Ordinal);

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                await inner(context);
                Ran[context.Request.Path] = context.Features.Get<IAuthenticationFeature>() is not null;
            });
            next(app);
        };
    }
}
