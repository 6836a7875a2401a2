using ARouter.Auth;
using ARouter.Storage;
using Microsoft.AspNetCore.Mvc;

namespace ARouter.Dashboard.Pages;

/// <summary>The confirmation step before a key is revoked: a page of its own, so it works without script.</summary>
public sealed class KeyDeleteModel(AccountKeys keys) : DashboardPage
{
    public ApiKeyRecord? Key { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id)
    {
        Key = await keys.GetAsync(AccountId, id, HttpContext.RequestAborted);
        return Key is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(string id)
    {
        var revoked = await keys.RevokeAsync(AccountId, id, HttpContext.RequestAborted);
        return revoked is null ? NotFound() : LocalRedirect("/keys?deleted=" + Uri.EscapeDataString(revoked.Name));
    }
}
