namespace ARouter.Dialects.Canonical;

/// <summary>Where in the request's path an error arose, and on whose side (YARP's ForwarderError idea).</summary>
public enum ErrorStage
{
    RequestDecode,
    RequestTooLarge,
    Auth,
    Permission,
    Limit,
    Reserve,
    Routing,
    UpstreamConnect,
    UpstreamTimeout,
    UpstreamRefused,
    UpstreamFailed,
    UpstreamStream,
    ClientWrite,
    Internal,
}

/// <summary>
/// An error as a value. One place (<c>ErrorResponder</c>) turns it into the caller's dialect, a log line
/// and a metric, so error shapes cannot drift between endpoints. Messages never carry secrets or prompt text.
/// </summary>
public sealed record GatewayError(ErrorStage Stage, int Status, string Message, string? Param = null)
{
    public int? RetryAfterSeconds { get; init; }

    public static GatewayError BadRequest(string message, string? param = null) => new(ErrorStage.RequestDecode, 400, message, param);
    public static GatewayError NotFound(string message, string? param = null) => new(ErrorStage.Routing, 404, message, param);
    public static GatewayError Unauthorized(string message) => new(ErrorStage.Auth, 401, message);
    public static GatewayError Forbidden(string message) => new(ErrorStage.Permission, 403, message);
    public static GatewayError PaymentRequired(string message) => new(ErrorStage.Reserve, 402, message);
    public static GatewayError RateLimited(int limit, int retryAfterSeconds)
        => new(ErrorStage.Limit, 429, $"Rate limit exceeded: this key may make {limit} requests per window. Retry after {retryAfterSeconds} s.") { RetryAfterSeconds = retryAfterSeconds };

    public static GatewayError TooLarge(long limit) => new(ErrorStage.RequestTooLarge, 413, $"Request body is larger than the limit of {limit} bytes.");

    /// <summary>OpenAI's <c>type</c> vocabulary, also used for ARouter's own API.</summary>
    public string OpenAiType => Status switch
    {
        400 or 404 or 413 or 422 => Status == 404 ? "not_found_error" : "invalid_request_error",
        401 => "authentication_error",
        402 => "insufficient_credits",
        403 => "permission_error",
        429 => "rate_limit_error",
        504 => "timeout_error",
        >= 500 => Stage is ErrorStage.Internal or ErrorStage.Reserve ? "server_error" : "upstream_error",
        _ => "invalid_request_error",
    };

    public string OpenAiCode => Status switch
    {
        400 => "invalid_request",
        401 => "invalid_api_key",
        402 => "insufficient_credits",
        403 => "forbidden",
        404 => "model_not_found",
        413 => "request_too_large",
        429 => "rate_limit_exceeded",
        502 => "upstream_error",
        503 when Stage == ErrorStage.Reserve => "reservations_unavailable",
        504 => "upstream_timeout",
        _ => Status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
