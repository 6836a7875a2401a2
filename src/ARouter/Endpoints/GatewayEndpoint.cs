using ARouter.Auth;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
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
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("ARouter.Endpoints");

        GatewayError? error;
        try
        {
            var (caller, failure) = await services.GetRequiredService<KeyAuthenticator>().AuthenticateAsync(http.Request, http.RequestAborted);
            if (caller is null)
            {
                error = GatewayError.Unauthorized(KeyAuthenticator.Describe(failure));
            }
            else
            {
                var limit = await services.GetRequiredService<KeyRateLimits>().AcquireAsync(caller.Key, http.RequestAborted);
                RateLimitHeaders.Apply(http.Response, limit);
                if (!limit.Allowed)
                {
                    error = GatewayError.RateLimited(limit.Limit, limit.RetryAfterSeconds);
                }
                else
                {
                    var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
                    error = await handler(new GatewayRequest(http, dialect, caller, requestId, start, options));
                }
            }
        }
        catch (DecodeException e)
        {
            error = e.ToError();
        }
        catch (BodyTooLargeException e)
        {
            error = GatewayError.TooLarge(e.Limit);
        }
        catch (BadHttpRequestException e)
        {
            error = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? GatewayError.TooLarge(services.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes)
                : GatewayError.BadRequest("The request could not be read: " + e.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            Log.UnexpectedFailure(logger, requestId, e.GetType().Name, e.StackTrace);
            error = new GatewayError(ErrorStage.Internal, 500, $"Internal error (request {requestId}).");
        }

        if (error is not null) await ErrorResponder.WriteAsync(http, dialect, error);
    };
}
