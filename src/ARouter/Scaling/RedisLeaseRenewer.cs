using Microsoft.Extensions.Hosting;

namespace ARouter.Scaling;

/// <summary>Renews this instance's holds at a third of the lease, so a long stream keeps its credit and a dead instance's holds lapse.</summary>
public sealed class RedisLeaseRenewer(RedisReservationBook book, RedisConnection redis) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(100, redis.Options.ReservationLeaseSeconds * 1000 / 3)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await book.RenewAsync();
            }
            catch (RedisUnavailableException)
            {
                // Redis is away: new holds are refused meanwhile, and these are renewed on a later tick if it returns within the lease.
            }
        }
    }
}
