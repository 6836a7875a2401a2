namespace ARouter.Limits;

/// <summary>
/// The answer for one request: whether it may go on, and the numbers every authenticated response
/// carries as <c>X-RateLimit-Limit</c>, <c>X-RateLimit-Remaining</c> and <c>X-RateLimit-Reset</c>.
/// </summary>
public readonly record struct RateLimitDecision(bool Allowed, int Limit, int Remaining, long ResetUnixSeconds, int RetryAfterSeconds);

/// <summary>The window a key is held to: <see cref="Requests"/> per <see cref="Interval"/>.</summary>
public readonly record struct RateLimitPolicy(int Requests, TimeSpan Interval);
