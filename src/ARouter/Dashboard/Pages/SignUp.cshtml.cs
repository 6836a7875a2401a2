using ARouter.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ARouter.Dashboard.Pages;

public sealed class SignUpModel(PasswordLogins logins, SignInThrottle throttle, IOptions<DashboardOptions> options) : DashboardPage
{
    public bool Open => options.Value.Signup;
    public decimal StartingCredit => options.Value.StartingCredit;
    public string? Email { get; private set; }
    public string? Error { get; private set; }
    public string? EmailError { get; private set; }
    public string? PasswordError { get; private set; }

    public IActionResult OnGet()
    {
        if (!Open) Response.StatusCode = StatusCodes.Status403Forbidden;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? email, string? password)
    {
        if (!Open)
        {
            Response.StatusCode = StatusCodes.Status403Forbidden;
            return Page();
        }
        Email = email?.Trim();
        EmailError = LoginRules.CheckEmail(email);
        PasswordError = LoginRules.CheckPassword(password, email);
        if (EmailError is not null || PasswordError is not null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        if (!throttle.TrySignUp(ClientAddress))
        {
            Error = $"Too many sign-ups from your address. Try again in {throttle.Window.TotalMinutes:0} minutes.";
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }
        LoginRecord login;
        try
        {
            login = await logins.SignUpAsync(Email!, password!, HttpContext.RequestAborted);
        }
        catch (DuplicateLoginException)
        {
            EmailError = "An account with this email already exists. Sign in instead.";
            Response.StatusCode = StatusCodes.Status409Conflict;
            return Page();
        }
        await HttpContext.SignInAsync(DashboardSession.Scheme, DashboardSession.ForLogin(login));
        return LocalRedirect("/");
    }
}
