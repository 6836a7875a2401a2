namespace ARouter.Scaling;

/// <summary>Redis could not answer in time (down, hung, or skipped after a recent failure). Carries no message from Redis.</summary>
public sealed class RedisUnavailableException() : Exception("Redis is unavailable.");
