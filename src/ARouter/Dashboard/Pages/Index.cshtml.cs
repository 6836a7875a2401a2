using ARouter.Auth;
using ARouter.Billing;
using ARouter.Storage;
using Microsoft.AspNetCore.Mvc;

namespace ARouter.Dashboard.Pages;

public sealed class IndexModel(IAccountStore accounts, IActivityStore activity, Ledger ledger, AccountKeys keys, TimeProvider clock, QuickStartUrls urls) : DashboardPage
{
    public long BalanceNanos { get; private set; }
    public long TotalCreditsNanos { get; private set; }
    public long SpendTodayNanos { get; private set; }
    public long Spend30Nanos { get; private set; }
    public long Requests30 { get; private set; }
    public int KeyCount { get; private set; }
    public string BaseUrl { get; private set; } = "";
    public SpendChart Chart { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync()
    {
        var ct = HttpContext.RequestAborted;
        var account = await accounts.GetAccountAsync(AccountId, ct);
        if (account is null) return Forbid();
        // The ledger's balance, as the API reports it: committed minus charges still being written.
        BalanceNanos = await ledger.GetBalanceAsync(AccountId, ct) ?? account.BalanceNanos;
        TotalCreditsNanos = account.TotalCreditsNanos;
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var rows = await activity.DailySpendAsync(AccountId, today.AddDays(-29), ct);
        SpendTodayNanos = rows.Where(r => r.Day == today).Sum(r => r.CostNanos);
        Spend30Nanos = rows.Sum(r => r.CostNanos);
        Requests30 = rows.Sum(r => r.Requests);
        Chart = SpendChart.Build(rows, today);
        KeyCount = (await keys.ListAsync(AccountId, ct)).Count;
        BaseUrl = urls.BaseUrl(Request);
        return Page();
    }
}
