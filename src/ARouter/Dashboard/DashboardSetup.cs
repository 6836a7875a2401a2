using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using ARouter.Observability;
using ARouter.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ARouter.Dashboard;

/// <summary>
/// The dashboard: Razor Pages at <c>/</c> with their own cookie scheme. The cookie is not a default
/// scheme, so API requests never authenticate with it, and the pages accept nothing else, so an API
/// key never authenticates a page.
/// </summary>
public static class DashboardSetup
{
    public const string AccountPolicy = "dashboard-account";
    public const string OperatorPolicy = "dashboard-operator";

    /// <summary>
    /// False in an ahead-of-time compiled build (<c>-p:PublishAot=true</c>), whose compiler then leaves the pages out:
    /// Razor Pages need the JIT. Everything else of the gateway is the same there.
    /// </summary>
    [FeatureGuard(typeof(RequiresDynamicCodeAttribute))]
    public static bool IsSupported => RuntimeFeature.IsDynamicCodeSupported;

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Razor Pages are added only where the JIT runs (IsSupported), and the JIT build is not trimmed.")]
    public static IServiceCollection AddDashboard(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection("ARouter:Dashboard");
        services.Configure<DashboardOptions>(section);
        services.AddSingleton<PasswordLogins>();
        var options = section.Get<DashboardOptions>() ?? new DashboardOptions();
        if (!options.Enabled || !IsSupported) return services;

        // Page handlers' arguments (passwords, provider keys, the admin token) are logged at Trace by MVC: never let them through.
        // The exact category, so that it wins over any broader level an operator configures; at Warning, so a page view
        // does not write five "executing page" lines at the default Information level either.
        services.AddLogging(logging => logging.AddFilter("Microsoft.AspNetCore.Mvc.RazorPages.Infrastructure.PageActionInvoker", LogLevel.Warning));
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<QuickStartUrls>();
        services.AddDataProtection().SetApplicationName("ARouter").PersistKeysToFileSystem(new DirectoryInfo(KeysDirectory(configuration, options)));
        // With one scheme registered ASP.NET Core would make it the default and run it on every API request;
        // the dashboard's cookie is for its pages only (their policies name the scheme).
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddCookie(DashboardSession.Scheme, cookie =>
        {
            cookie.Cookie.Name = "arouter_session";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = options.SecureCookies ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(Math.Max(1, options.SessionHours));
            cookie.SlidingExpiration = true;
            cookie.LoginPath = "/signin";
            cookie.LogoutPath = "/signout";
            cookie.AccessDeniedPath = "/denied";
            cookie.ReturnUrlParameter = "returnUrl";
            cookie.Events.OnValidatePrincipal = DashboardSession.ValidateAsync;
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(AccountPolicy, p => p.AddAuthenticationSchemes(DashboardSession.Scheme).RequireClaim(DashboardSession.AccountClaim))
            .AddPolicy(OperatorPolicy, p => p.AddAuthenticationSchemes(DashboardSession.Scheme).RequireClaim(DashboardSession.OperatorClaim));
        services.AddAntiforgery(af =>
        {
            af.Cookie.Name = "arouter_antiforgery";
            af.Cookie.SameSite = SameSiteMode.Strict;
            // Not forced to Secure: anti-forgery refuses to run on a plain-HTTP request with a Secure-only cookie, and this cookie is no credential.
            af.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            af.FormFieldName = "__csrf";
            af.HeaderName = null;
        });
        services.AddRazorPages(pages =>
        {
            pages.RootDirectory = "/Dashboard/Pages";
            // Every page needs an account's session except the operator's (under /Admin) and the open ones below.
            pages.Conventions.AddFolderApplicationModelConvention("/", page =>
            {
                if (!page.ViewEnginePath.StartsWith("/Admin/", StringComparison.Ordinal)) page.EndpointMetadata.Add(new AuthorizeAttribute(AccountPolicy));
            });
            pages.Conventions.AuthorizeFolder("/Admin", OperatorPolicy);
            foreach (var open in new[] { "/SignIn", "/SignUp", "/SignOut", "/Denied", "/Admin/SignIn" }) pages.Conventions.AllowAnonymousToPage(open);
            pages.Conventions.ConfigureFilter(new DashboardResponseHeaders());
        })
        // Pages are found in this assembly also when the entry assembly is another (a test host).
        .AddApplicationPart(typeof(DashboardSetup).Assembly);
        return services;
    }

    /// <summary>
    /// Sign-in and authorization run for the dashboard's pages (endpoints that say who may see them) only. Registering
    /// the cookie scheme makes <see cref="WebApplication"/> add both middlewares for every request, where an API
    /// request only pays for them (~3 % of its allocations): that happens unless its own pipeline already has them,
    /// and the calls inside the branch mark only the branch, so the outer pipeline is marked by hand with the keys
    /// ASP.NET Core's UseAuthentication and UseAuthorization set.
    /// </summary>
    public static void UseDashboardSignIn(this WebApplication app)
    {
        if (app.Services.GetService<IAuthenticationSchemeProvider>() is null) return;
        app.UseRouting();
        app.UseWhen(static http => http.GetEndpoint() is not { } endpoint
                || endpoint.Metadata.GetMetadata<IAuthorizeData>() is not null || endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null,
            static branch => branch.UseAuthentication().UseAuthorization());
        var outer = ((IApplicationBuilder)app).Properties;
        outer["__AuthenticationMiddlewareSet"] = true;
        outer["__AuthorizationMiddlewareSet"] = true;
    }

    public static void MapDashboard(this WebApplication app)
    {
        var options = app.Configuration.GetSection("ARouter:Dashboard").Get<DashboardOptions>() ?? new DashboardOptions();
        if (!options.Enabled) return;
        if (!IsSupported)
        {
            Log.DashboardNotInThisBuild(app.Logger);
            return;
        }
        app.MapRazorPages();
        DashboardAssets.Map(app);
    }

    private static string KeysDirectory(IConfiguration configuration, DashboardOptions options)
        => !string.IsNullOrWhiteSpace(options.KeysDirectory) ? options.KeysDirectory
            // With PostgreSQL there is no data folder of our own: point every instance at one shared directory instead.
            : Path.Combine(StoreSelector.LocalDirectory(configuration) ?? "data", "dashboard-keys");
}

/// <summary>Every dashboard page: no caching (it shows account data and one-time secrets), no framing, scripts and styles from the gateway only.</summary>
internal sealed class DashboardResponseHeaders : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var headers = context.HttpContext.Response.Headers;
        // The same value anti-forgery insists on, so it need not override (and warn about) ours.
        headers.CacheControl = "no-cache, no-store";
        headers.Pragma = "no-cache";
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        return next();
    }
}
