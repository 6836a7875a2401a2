using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace ARouter.Limits;

public static class RateLimitHeaders
{
    public static void Apply(HttpResponse response, RateLimitDecision decision)
    {
        var headers = response.Headers;
        headers["X-RateLimit-Limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = decision.ResetUnixSeconds.ToString(CultureInfo.InvariantCulture);
    }
}
