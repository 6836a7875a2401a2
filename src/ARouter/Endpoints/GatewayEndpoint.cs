using ARouter.Auth;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;
using ARouter.Limits;
using ARouter.Observability;
using ARouter.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ARouter.Endpoints;

/// <summary>
/// The one shape every keyed endpoint has: request id, authentication, the handler, and every failure
/// turned into the endpoint's dialect by <see cref="ErrorResponder"/>, so error mapping cannot drift.
/// A handler returns an error to send, or null when it wrote the response itself.
/// </summary>
public static class GatewayEndpoint
{
    public static RequestDelegate Keyed(CallerDialect dialect, Func<GatewayRequest, Task<GatewayError?>> handler) => async http =>
    {
        var services = http.RequestServices;
        var clock = services.GetRequiredService<TimeProvider>();
        var start = clock.GetTimestamp();
        var requestId = Ids.NewRequestId();
        http.Response.Headers["X-Request-Id"] = requestId;

        var error = await GuardAsync(http, requestId, async () =>
        {
            var (caller, failure) = await services.GetRequiredService<KeyAuthenticator>().AuthenticateAsync(http.Request, http.RequestAborted);
            if (caller is null) return GatewayError.Unauthorized(KeyAuthenticator.Describe(failure));
            var limit = services.GetRequiredService<KeyRateLimits>().Acquire(caller.Key);
            RateLimitHeaders.Apply(http.Response, limit);
            if (!limit.Allowed) return GatewayError.RateLimited(limit.Limit, limit.RetryAfterSeconds);
            var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
            return await handler(new GatewayRequest(http, dialect, caller, requestId, start, options));
        });

        if (error is not null) await ErrorResponder.WriteAsync(http, dialect, error);
    };

    /// <summary>
    /// Runs a handler and turns every failure into the error to send: the caller's mistakes into 400/413, a caller
    /// that left into nothing, and anything unexpected into a logged 500 (type and stack only; messages can quote input).
    /// </summary>
    public static async Task<GatewayError?> GuardAsync(HttpContext http, string requestId, Func<Task<GatewayError?>> handler)
    {
        try
        {
            return await handler();
        }
        catch (DecodeException e)
        {
            return e.ToError();
        }
        catch (BodyTooLargeException e)
        {
            return GatewayError.TooLarge(e.Limit);
        }
        catch (BadHttpRequestException e)
        {
            return e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? GatewayError.TooLarge(http.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes)
                : GatewayError.BadRequest("The request could not be read: " + e.Message);
        }
        catch (OperationCanceledException e) when (http.RequestAborted.IsCancellationRequested || e is ClientGoneException)
        {
            return null;
        }
        catch (Exception e)
        {
            Log.UnexpectedFailure(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ARouter.Endpoints"), requestId, e.GetType().Name, e.StackTrace);
            return new GatewayError(ErrorStage.Internal, 500, $"Internal error (request {requestId}).");
        }
    }
}
