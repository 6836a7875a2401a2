using System.CommandLine;
using System.Globalization;
using ARouter.Auth;
using ARouter.Billing;
using ARouter.Storage;

namespace ARouter.Cli;

/// <summary>
/// <c>arouter keys create|list|update|delete</c>: the key management API's verbs, on the database directly.
/// A running gateway notices the change within two seconds (it polls the keys version).
/// </summary>
public static class KeysCommand
{
    public static Command Build(TextWriter output)
    {
        var keys = new Command("keys", "Manage API keys.");
        keys.Subcommands.Add(Create(output));
        keys.Subcommands.Add(List(output));
        keys.Subcommands.Add(Update(output));
        keys.Subcommands.Add(Delete(output));
        return keys;
    }

    private static Option<string> AccountOption() => new("--account") { Description = "The account id (acct_...).", Required = true };
    private static Option<string> IdOption() => new("--id") { Description = "The key id (key_...).", Required = true };
    private static Option<string?> LimitOption() => new("--limit") { Description = "USD this key may spend in all (\"none\" removes the limit)." };
    private static Option<string?> RateLimitOption() => new("--rate-limit") { Description = "Requests per window as N/SECONDS, e.g. 60/60 (\"default\" returns to the gateway default)." };

    private static Command Create(TextWriter output)
    {
        var account = AccountOption();
        var name = new Option<string>("--name") { Description = "A name for the key.", DefaultValueFactory = _ => "cli" };
        var management = new Option<bool>("--management") { Description = "Allow this key to manage the account's keys." };
        var limit = LimitOption();
        var rateLimit = RateLimitOption();
        var command = new Command("create", "Create an API key for an account and print it once.") { account, name, management, limit, rateLimit };
        command.SetAction(async (parse, ct) =>
        {
            if (!TryParseLimit(parse.GetValue(limit), out var limitNanos) || !TryParseRateLimit(parse.GetValue(rateLimit), out var rate))
                return await UsageErrorAsync();
            await using var store = await CliContext.OpenStoreAsync(ct);
            var (secret, key) = ApiKeyFormat.Create(parse.GetValue(account)!, parse.GetValue(name)!, parse.GetValue(management), limitNanos, rate?.Requests, rate?.Seconds);
            try
            {
                await store.CreateKeyAsync(key, ct);
            }
            catch (KeyNotFoundException)
            {
                await Console.Error.WriteLineAsync($"No account '{parse.GetValue(account)}'.");
                return 1;
            }
            await output.WriteLineAsync($"key_id   {key.Id}");
            await output.WriteLineAsync($"key      {secret}");
            await output.WriteLineAsync("The key is shown only this once: store it now.");
            return 0;
        });
        return command;
    }

    private static Command List(TextWriter output)
    {
        var account = AccountOption();
        var command = new Command("list", "List an account's keys (never their secrets).") { account };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CliContext.OpenStoreAsync(ct);
            await output.WriteLineAsync($"{"id",-24} {"prefix",-18} {"name",-16} {"mgmt",-5} {"state",-9} {"usage",12} {"limit",12} rate");
            foreach (var key in await store.ListKeysAsync(parse.GetValue(account)!, ct)) await output.WriteLineAsync(Describe(key));
            return 0;
        });
        return command;
    }

    private static Command Update(TextWriter output)
    {
        var account = AccountOption();
        var id = IdOption();
        var name = new Option<string?>("--name") { Description = "A new name." };
        var limit = LimitOption();
        var rateLimit = RateLimitOption();
        var disable = new Option<bool>("--disable") { Description = "Refuse the key from the next request on." };
        var enable = new Option<bool>("--enable") { Description = "Accept a disabled key again." };
        var command = new Command("update", "Change a key's name, limit, rate limit, or disable/enable it.") { account, id, name, limit, rateLimit, disable, enable };
        command.SetAction(async (parse, ct) =>
        {
            var limitText = parse.GetValue(limit);
            var rateText = parse.GetValue(rateLimit);
            if (!TryParseLimit(limitText, out var limitNanos) || !TryParseRateLimit(rateText, out var rate) || (parse.GetValue(disable) && parse.GetValue(enable)))
                return await UsageErrorAsync();
            await using var store = await CliContext.OpenStoreAsync(ct);
            var key = await store.GetKeyAsync(parse.GetValue(account)!, parse.GetValue(id)!, ct);
            if (key is null) return await NoSuchKeyAsync(parse.GetValue(id)!);
            var updated = await store.UpdateKeyAsync(key with
            {
                Name = parse.GetValue(name) ?? key.Name,
                LimitNanos = limitText is null ? key.LimitNanos : limitNanos,
                RateLimitRequests = rateText is null ? key.RateLimitRequests : rate?.Requests,
                RateLimitIntervalSeconds = rateText is null ? key.RateLimitIntervalSeconds : rate?.Seconds,
                Disabled = parse.GetValue(disable) || (!parse.GetValue(enable) && key.Disabled),
            }, ct);
            if (updated is null) return await NoSuchKeyAsync(key.Id);
            await output.WriteLineAsync(Describe(updated));
            return 0;
        });
        return command;
    }

    private static Command Delete(TextWriter output)
    {
        var account = AccountOption();
        var id = IdOption();
        var command = new Command("delete", "Revoke a key for good.") { account, id };
        command.SetAction(async (parse, ct) =>
        {
            await using var store = await CliContext.OpenStoreAsync(ct);
            var revoked = await store.RevokeKeyAsync(parse.GetValue(account)!, parse.GetValue(id)!, ct);
            if (revoked is null) return await NoSuchKeyAsync(parse.GetValue(id)!);
            await output.WriteLineAsync($"revoked  {revoked.Id}");
            return 0;
        });
        return command;
    }

    private static string Describe(ApiKeyRecord key)
    {
        var limit = key.LimitNanos is { } l ? Money.Format(Money.FromNanos(l)) : "none";
        var rate = key.RateLimitRequests is { } r ? $"{r}/{key.RateLimitIntervalSeconds}s" : "default";
        return $"{key.Id,-24} {key.Prefix,-18} {key.Name,-16} {(key.IsManagement ? "yes" : "no"),-5} {(key.Disabled ? "disabled" : "active"),-9} " +
               $"{Money.Format(Money.FromNanos(key.UsageNanos)),12} {limit,12} {rate}";
    }

    private static bool TryParseLimit(string? text, out long? nanos)
    {
        nanos = null;
        if (text is null || text.Equals("none", StringComparison.OrdinalIgnoreCase)) return true;
        if (!CliContext.TryParseUsd(text, out var usd) || usd < 0 || usd > 1_000_000m) return false;
        nanos = Money.ToNanos(usd);
        return true;
    }

    private static bool TryParseRateLimit(string? text, out (int Requests, int Seconds)? rate)
    {
        rate = null;
        if (text is null || text.Equals("default", StringComparison.OrdinalIgnoreCase)) return true;
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var requests) || requests is < 1 or > 1_000_000
            || !int.TryParse(parts[1].TrimEnd('s'), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > 86_400)
            return false;
        rate = (requests, seconds);
        return true;
    }

    private static async Task<int> UsageErrorAsync()
    {
        await Console.Error.WriteLineAsync("--limit takes USD (or \"none\"), --rate-limit takes N/SECONDS (or \"default\"); --disable and --enable exclude each other.");
        return 2;
    }

    private static async Task<int> NoSuchKeyAsync(string id)
    {
        await Console.Error.WriteLineAsync($"No live key '{id}' on that account.");
        return 1;
    }
}
