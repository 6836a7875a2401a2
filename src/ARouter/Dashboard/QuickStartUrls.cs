using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace ARouter.Dashboard;

/// <summary>The base URL users point their SDKs at: the configured public one, else the one this page was requested on.</summary>
public sealed class QuickStartUrls(IOptions<DashboardOptions> options)
{
    public string BaseUrl(HttpRequest request)
        => options.Value.PublicBaseUrl is { Length: > 0 } configured
            ? configured.TrimEnd('/')
            : $"{request.Scheme}://{request.Host.ToUriComponent()}{request.PathBase.ToUriComponent()}".TrimEnd('/');
}
