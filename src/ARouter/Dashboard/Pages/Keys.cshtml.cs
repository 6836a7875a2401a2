using ARouter.Auth;
using ARouter.Billing;
using ARouter.Endpoints;
using ARouter.Limits;
using ARouter.Storage;
using Microsoft.AspNetCore.Mvc;

namespace ARouter.Dashboard.Pages;

public sealed record KeyRow(ApiKeyRecord Key, long UsageNanos, RateLimitPolicy RateLimit);

/// <summary>The account's keys, through <see cref="AccountKeys"/> — the code <c>/api/v1/keys</c> uses.</summary>
public sealed class KeysModel(AccountKeys keys) : DashboardPage
{
    public IReadOnlyList<KeyRow> Rows { get; private set; } = [];
    public string? NewSecret { get; private set; }
    public ApiKeyRecord? NewKey { get; private set; }
    public string? Message { get; private set; }
    public Dictionary<string, string> Errors { get; } = new(StringComparer.Ordinal);
    public string? Name { get; private set; }
    public string? Limit { get; private set; }
    public string? Requests { get; private set; }
    public string? Interval { get; private set; }
    public bool Management { get; private set; }

    public async Task OnGetAsync(string? deleted)
    {
        if (deleted is not null) Message = $"Key “{deleted}” was deleted; requests with it are refused from now on.";
        await LoadAsync();
        Management = Rows.Count == 0;
    }

    public async Task<IActionResult> OnPostCreateAsync(string? name, string? limit, string? requests, string? interval, bool management)
    {
        (Name, Limit, Requests, Interval, Management) = (name, limit, requests, interval, management);
        var trimmed = Clean(name);
        if (trimmed is null) Errors["name"] = "Give the key a name, e.g. the app that will use it.";
        else if (trimmed.Length > KeyFields.MaxNameLength) Errors["name"] = $"A name is at most {KeyFields.MaxNameLength} characters.";
        if (!FormInput.TryUsd(limit, "The limit", allowZero: true, out var limitUsd, out var limitError)) Errors["limit"] = limitError!;
        if (!FormInput.TryWhole(requests, "Requests", KeyFields.MaxRateLimitRequests, out var perInterval, out var requestsError)) Errors["requests"] = requestsError!;
        if (!FormInput.TryWhole(interval, "The interval", KeyFields.MaxRateLimitIntervalSeconds, out var seconds, out var intervalError)) Errors["interval"] = intervalError!;
        if (!Errors.ContainsKey("requests") && !Errors.ContainsKey("interval") && perInterval.HasValue != seconds.HasValue)
            Errors[perInterval.HasValue ? "interval" : "requests"] = "Give both the number of requests and the interval, or neither for the default.";
        if (Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync();
            return Page();
        }

        var (secret, key) = await keys.CreateAsync(AccountId,
            new KeySpec(trimmed!, management, limitUsd is { } usd ? Money.ToNanos(usd) : null, perInterval, seconds), HttpContext.RequestAborted);
        // Shown in this response only: it is not stored and is never put in a redirect or a cookie.
        NewSecret = secret;
        NewKey = key;
        (Name, Limit, Requests, Interval, Management) = (null, null, null, null, false);
        await LoadAsync();
        return Page();
    }

    public Task<IActionResult> OnPostDisableAsync(string id) => SetDisabledAsync(id, true);

    public Task<IActionResult> OnPostEnableAsync(string id) => SetDisabledAsync(id, false);

    private async Task<IActionResult> SetDisabledAsync(string id, bool disabled)
    {
        var changed = await keys.UpdateAsync(AccountId, id ?? "", key => key with { Disabled = disabled }, HttpContext.RequestAborted);
        if (changed is null) return NotFound();
        return LocalRedirect("/keys");
    }

    private async Task LoadAsync()
    {
        var list = await keys.ListAsync(AccountId, HttpContext.RequestAborted);
        Rows = list.Select(k => new KeyRow(k, keys.UsageOf(k), keys.RateLimitOf(k))).ToList();
    }
}
