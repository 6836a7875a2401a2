using ARouter.Endpoints;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace ARouter.Dashboard.Pages.Admin;

/// <summary>The operator signs in with <c>AROUTER_ADMIN_TOKEN</c>; the session keeps only a hash of it and ends when the token changes.</summary>
public sealed class AdminSignInModel(IConfiguration configuration, SignInThrottle throttle) : DashboardPage
{
    private const string ThrottlePartition = "#admin-token";

    public bool Enabled => !string.IsNullOrEmpty(configuration["AROUTER_ADMIN_TOKEN"]);
    public string? Error { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(string? token)
    {
        if (!Enabled) return Forbid();
        if (!throttle.MayTrySignIn(ThrottlePartition, ClientAddress))
        {
            Error = $"Too many failed sign-ins. Try again in {throttle.Window.TotalMinutes:0} minutes.";
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }
        if (!AdminEndpoints.IsAdminToken(configuration, token?.Trim() ?? ""))
        {
            throttle.RecordFailure(ThrottlePartition, ClientAddress);
            Error = "That is not the admin token.";
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        await HttpContext.SignInAsync(DashboardSession.Scheme, DashboardSession.ForAdminToken(configuration["AROUTER_ADMIN_TOKEN"]!));
        return LocalRedirect("/admin/accounts");
    }
}
