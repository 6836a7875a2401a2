using System.Text.Json;

namespace ARouter.Tests.Infrastructure;

/// <summary>Waits for something that happens in the background (a commit, a cancelled upstream), with a timeout generous enough for a loaded machine.</summary>
public static class Poll
{
    public static Task UntilAsync(Func<bool> condition, TimeSpan? timeout = null) => UntilAsync(() => Task.FromResult(condition()), timeout);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"The condition did not become true within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds} s.");
            await Task.Delay(25);
        }
    }
}

/// <summary>An account's transactions as <c>GET /api/v1/transactions</c> pages them, all pages read.</summary>
public static class Transactions
{
    /// <param name="get">Sends a GET with the account's key and returns status and JSON.</param>
    public static async Task<List<JsonElement>> AllAsync(Func<string, Task<(int Status, JsonElement Json)>> get)
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var (status, json) = await get("/api/v1/transactions?limit=100" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(200, status);
            all.AddRange(json.GetProperty("data").EnumerateArray());
            cursor = json.GetProperty("next_cursor").GetString();
        } while (cursor is not null);
        return all;
    }

    /// <summary>Charges by generation id (positive amounts); fails if a generation was charged twice.</summary>
    public static async Task<Dictionary<string, decimal>> ChargesAsync(Func<string, Task<(int Status, JsonElement Json)>> get)
    {
        var charges = new Dictionary<string, decimal>(StringComparer.Ordinal);
        foreach (var t in (await AllAsync(get)).Where(t => t.GetProperty("type").GetString() == "charge"))
            Assert.True(charges.TryAdd(t.GetProperty("generation_id").GetString()!, -t.GetProperty("amount").GetDecimal()), "exactly one charge per generation");
        return charges;
    }
}
