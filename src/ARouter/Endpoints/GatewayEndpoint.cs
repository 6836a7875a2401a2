using ARouter.Auth;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Sse;
using ARouter.Limits;
using ARouter.Observability;
using ARouter.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
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
    public static RequestDelegate Keyed(CallerDialect dialect, Func<GatewayRequest, Task<GatewayError?>> handler)
    {
        // The singletons every request needs, resolved once per endpoint (a request's own container is the app's).
        KeyedServices? shared = null;
        return async http =>
        {
            var s = shared ??= new KeyedServices(http.RequestServices);
            await HandleAsync(http, s, dialect, handler);
        };
    }

    private static async Task HandleAsync(HttpContext http, KeyedServices services, CallerDialect dialect, Func<GatewayRequest, Task<GatewayError?>> handler)
    {
        var clock = services.Clock;
        var start = clock.GetTimestamp();
        var requestId = Ids.NewRequestId();
        http.Response.Headers["X-Request-Id"] = requestId;
        var logger = services.Logger;
        var telemetry = new RequestTelemetry(services.Metrics, clock, RouteOf(http), DialectLabel(dialect), requestId);
        Caller? authenticated = null;

        GatewayError? error = null;
        try
        {
            var (caller, failure) = await services.Authenticator.AuthenticateAsync(http.Request, http.RequestAborted);
            authenticated = caller;
            if (caller is null)
            {
                error = GatewayError.Unauthorized(KeyAuthenticator.Describe(failure));
            }
            else
            {
                var limit = await services.RateLimits.AcquireAsync(caller.Key, http.RequestAborted);
                RateLimitHeaders.Apply(http.Response, limit);
                if (!limit.Allowed)
                {
                    telemetry.RateLimited();
                    error = GatewayError.RateLimited(limit.Limit, limit.RetryAfterSeconds);
                }
                else
                {
                    error = await handler(new GatewayRequest(http, dialect, caller, requestId, start, services.Options.Value, telemetry));
                }
            }
        }
        catch (Exception e) when (IsClientGone(e, http))
        {
            Complete(telemetry, logger, requestId, authenticated, 499, clock.GetElapsedTime(start));
            return;
        }
        catch (Exception e)
        {
            error = ErrorFor(e, http, requestId);
        }

        try
        {
            if (error is not null) await ErrorResponder.WriteAsync(http, dialect, error);
        }
        finally
        {
            var status = http.RequestAborted.IsCancellationRequested ? 499 : error?.Status ?? http.Response.StatusCode;
            Complete(telemetry, logger, requestId, authenticated, status, clock.GetElapsedTime(start));
        }
    }

    private sealed class KeyedServices(IServiceProvider services)
    {
        public TimeProvider Clock { get; } = services.GetRequiredService<TimeProvider>();
        public ILogger Logger { get; } = services.GetRequiredService<ILoggerFactory>().CreateLogger("ARouter.Endpoints");
        public GatewayMetrics Metrics { get; } = services.GetRequiredService<GatewayMetrics>();
        public KeyAuthenticator Authenticator { get; } = services.GetRequiredService<KeyAuthenticator>();
        public KeyRateLimits RateLimits { get; } = services.GetRequiredService<KeyRateLimits>();
        public IOptions<GatewayOptions> Options { get; } = services.GetRequiredService<IOptions<GatewayOptions>>();
    }

    /// <summary>The one completion log line, the request metrics and the end of the request's span.</summary>
    private static void Complete(RequestTelemetry telemetry, ILogger logger, string requestId, Caller? caller, int status, TimeSpan elapsed)
    {
        telemetry.Complete(status, elapsed);
        Log.RequestCompleted(logger, requestId, telemetry.Endpoint, caller?.Key.Prefix ?? "-", telemetry.Model, telemetry.Provider, status,
            (long)elapsed.TotalMilliseconds, telemetry.PromptTokens, telemetry.CompletionTokens, telemetry.ChargedNanos);
    }

    /// <summary>The route template (<c>/v1/chat/completions</c>, <c>/{provider}/{**path}</c>): a bounded label, never the raw path or query.</summary>
    private static string RouteOf(HttpContext http) => (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unrouted";

    private static string DialectLabel(CallerDialect dialect) => dialect switch
    {
        CallerDialect.Anthropic => "anthropic",
        CallerDialect.Gemini => "gemini",
        _ => "openai",
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
        catch (Exception e) when (IsClientGone(e, http))
        {
            return null;
        }
        catch (Exception e)
        {
            return ErrorFor(e, http, requestId);
        }
    }

    private static bool IsClientGone(Exception e, HttpContext http) =>
        e is OperationCanceledException && (http.RequestAborted.IsCancellationRequested || e is ClientGoneException);

    /// <summary>The error a failure becomes: the caller's mistakes 400/413, anything else a logged 500.</summary>
    private static GatewayError ErrorFor(Exception e, HttpContext http, string requestId)
    {
        switch (e)
        {
            case DecodeException decode:
                return decode.ToError();
            case BodyTooLargeException tooLarge:
                return GatewayError.TooLarge(tooLarge.Limit);
            case BadHttpRequestException bad:
                return bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? GatewayError.TooLarge(http.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes)
                    : GatewayError.BadRequest("The request could not be read: " + bad.Message);
            default:
                Log.UnexpectedFailure(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ARouter.Endpoints"), requestId, e.GetType().Name, e.StackTrace);
                return new GatewayError(ErrorStage.Internal, 500, $"Internal error (request {requestId}).");
        }
    }
}
