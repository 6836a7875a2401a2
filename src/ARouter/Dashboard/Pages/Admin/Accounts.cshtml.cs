using System.Globalization;
using ARouter.Billing;
using ARouter.Storage;
using Microsoft.AspNetCore.Mvc;

namespace ARouter.Dashboard.Pages.Admin;

/// <summary>The operator's accounts: find one, add credit through the <see cref="Ledger"/> (as the admin API does), so balances stay consistent.</summary>
public sealed class AccountsModel(IActivityStore activity, Ledger ledger) : DashboardPage
{
    public const int PageSize = 50;

    public string? Query { get; private set; }
    public int Offset { get; private set; }
    public bool HasMore { get; private set; }
    public IReadOnlyList<AccountSummary> Accounts { get; private set; } = [];
    public string? Message { get; private set; }
    public string? Error { get; private set; }
    public string? ErrorAccount { get; private set; }

    public async Task OnGetAsync(string? q, int offset, string? credited)
    {
        if (credited is not null) Message = $"Credit added to {credited}.";
        await LoadAsync(q, offset);
    }

    public async Task<IActionResult> OnPostCreditAsync(string? account, string? amount, string? description, string? q)
    {
        if (!FormInput.TryUsd(amount, "The amount", allowZero: false, out var usd, out var error) || usd is null)
            Error = error ?? "Enter the amount in USD, like 10.";
        else if (description?.Length > 500)
            Error = "The description is at most 500 characters.";
        else if (string.IsNullOrEmpty(account) || await ledger.AddCreditAsync(account, Money.ToNanos(usd.Value), Clean(description) ?? "added by the operator") is null)
            return NotFound();
        if (Error is not null)
        {
            ErrorAccount = account;
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync(q, 0);
            return Page();
        }
        return LocalRedirect($"/admin/accounts?credited={Uri.EscapeDataString(account!)}{(q is null ? "" : "&q=" + Uri.EscapeDataString(q))}");
    }

    public string PageLink(int offset) => $"/admin/accounts?offset={offset.ToString(CultureInfo.InvariantCulture)}{(Query is null ? "" : "&q=" + Uri.EscapeDataString(Query))}";

    private async Task LoadAsync(string? q, int offset)
    {
        Query = Clean(q);
        Offset = Math.Max(0, offset);
        var rows = await activity.ListAccountsAsync(Query, Offset, PageSize + 1, HttpContext.RequestAborted);
        Accounts = rows.Take(PageSize).ToList();
        HasMore = rows.Count > PageSize;
    }
}
