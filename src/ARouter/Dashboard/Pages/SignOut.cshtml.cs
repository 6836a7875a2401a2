using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace ARouter.Dashboard.Pages;

/// <summary>POST only (with the anti-forgery token), so another site cannot sign a person out with a link.</summary>
public sealed class SignOutModel : DashboardPage
{
    public IActionResult OnGet() => LocalRedirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(DashboardSession.Scheme);
        return LocalRedirect("/signin");
    }
}
