using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ARouter.Dashboard.Pages;

public sealed class SignInModel(PasswordLogins logins, SignInThrottle throttle, IOptions<DashboardOptions> options) : DashboardPage
{
    public string? Error { get; private set; }
    public string? Email { get; private set; }
    public string? ReturnUrl { get; private set; }
    public bool SignupOpen => options.Value.Signup;

    public IActionResult OnGet(string? returnUrl)
    {
        if (User.AccountId() is not null) return LocalRedirect(SafeReturn(returnUrl));
        ReturnUrl = returnUrl;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? email, string? password, string? returnUrl)
    {
        Email = email?.Trim();
        ReturnUrl = returnUrl;
        var normalized = LoginRules.NormalizeEmail(email ?? "");
        if (!throttle.MayTrySignIn(normalized, ClientAddress))
        {
            Error = $"Too many failed sign-ins. Try again in {throttle.Window.TotalMinutes:0} minutes.";
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = ((int)throttle.Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Page();
        }
        var login = normalized.Length == 0 || string.IsNullOrEmpty(password) || password.Length > LoginRules.MaxPasswordLength
            ? null
            : await logins.VerifyAsync(normalized, password, HttpContext.RequestAborted);
        if (login is null)
        {
            throttle.RecordFailure(normalized, ClientAddress);
            Error = "That email and password do not match an account.";
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        await HttpContext.SignInAsync(DashboardSession.Scheme, DashboardSession.ForLogin(login));
        return LocalRedirect(SafeReturn(returnUrl));
    }

    private string SafeReturn(string? returnUrl) => !string.IsNullOrEmpty(returnUrl) && Url.IsLocalUrl(returnUrl) ? returnUrl : "/";
}
