using ARouter.Observability;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace ARouter.Scaling;

/// <summary>
/// The one connection to Redis (a StackExchange.Redis multiplexer). It starts even when Redis is down and
/// reconnects on its own; commands never queue while disconnected (fail fast), every call is bounded by the
/// operation timeout, and after a failure Redis is not tried again for a short while, so an outage costs
/// requests nothing but the fallback.
/// </summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly RedisOptions _options;
    private readonly ILogger _logger;
    private long _skipUntil;
    private long _lastAnswer = Environment.TickCount64;
    private int _down;

    private RedisConnection(ConnectionMultiplexer multiplexer, RedisOptions options, ILogger logger)
    {
        _multiplexer = multiplexer;
        _options = options;
        _logger = logger;
        multiplexer.ConnectionFailed += (_, e) => MarkDown(e.FailureType.ToString());
        multiplexer.ConnectionRestored += (_, _) =>
        {
            Volatile.Write(ref _skipUntil, 0);
            MarkUp();
        };
    }

    public RedisOptions Options => _options;
    /// <summary>Names this process in what it publishes, so it can ignore its own messages.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("n")[..12];
    public IDatabase Database => _multiplexer.GetDatabase();
    public ISubscriber Subscriber => _multiplexer.GetSubscriber();

    /// <summary>Raised when the connection comes back: whatever was broadcast meanwhile was missed.</summary>
    public event Action? Restored;

    /// <summary>Connected and not in the pause after a failure.</summary>
    public bool IsUsable => _multiplexer.IsConnected && Environment.TickCount64 >= Volatile.Read(ref _skipUntil);

    public static RedisConnection Connect(string configuration, RedisOptions options, ILogger logger)
    {
        var config = ConfigurationOptions.Parse(configuration);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = options.ConnectTimeoutMs;
        config.AsyncTimeout = options.OperationTimeoutMs;
        config.SyncTimeout = options.OperationTimeoutMs;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ReconnectRetryPolicy = new LinearRetry(500);
        config.ClientName ??= "arouter";
        return new RedisConnection(ConnectionMultiplexer.Connect(config), options, logger);
    }

    /// <summary>Runs one Redis call within the operation timeout; any failure becomes <see cref="RedisUnavailableException"/>.</summary>
    public async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> call)
    {
        if (!IsUsable) throw new RedisUnavailableException();
        try
        {
            var result = await call(Database).WaitAsync(TimeSpan.FromMilliseconds(_options.OperationTimeoutMs));
            Volatile.Write(ref _lastAnswer, Environment.TickCount64);
            if (Volatile.Read(ref _down) == 1) MarkUp();
            return result;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // A lost connection counts at once. A timeout may be this process being busy while Redis answers others
            // fine, so it counts only when nothing at all has come back for two timeouts (Redis hung or cut off).
            if (e is not TimeoutException || Environment.TickCount64 - Volatile.Read(ref _lastAnswer) > 2L * _options.OperationTimeoutMs) MarkDown(e.GetType().Name);
            throw new RedisUnavailableException();
        }
    }

    /// <summary>
    /// A call nobody waits for (releasing a hold): a failure is only noted, the lease cleans up. Sent even in the
    /// pause after a failure, since it may undo what a call that timed out did after all; while disconnected it fails at once.
    /// </summary>
    public void Forget(Func<IDatabase, Task> call)
    {
        _ = RunUncheckedAsync(call).ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted);
    }

    private async Task<bool> RunUncheckedAsync(Func<IDatabase, Task> call)
    {
        await call(Database).WaitAsync(TimeSpan.FromMilliseconds(_options.OperationTimeoutMs));
        return true;
    }

    public async Task<bool> PingAsync()
    {
        try
        {
            await RunAsync(db => db.PingAsync());
            return true;
        }
        catch (RedisUnavailableException)
        {
            return false;
        }
    }

    public RedisKey Key(string name) => _options.Prefix + name;

    public RedisChannel Channel(string name) => RedisChannel.Literal(_options.Prefix + name);

    private void MarkDown(string reason)
    {
        Volatile.Write(ref _skipUntil, Environment.TickCount64 + _options.RetryAfterFailureMs);
        if (Interlocked.Exchange(ref _down, 1) == 0) Log.RedisUnavailable(_logger, reason);
    }

    private void MarkUp()
    {
        if (Interlocked.Exchange(ref _down, 0) == 0) return;
        Log.RedisRestored(_logger);
        Restored?.Invoke();
    }

    public async ValueTask DisposeAsync() => await _multiplexer.DisposeAsync();
}
