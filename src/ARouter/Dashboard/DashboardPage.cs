using Microsoft.AspNetCore.Mvc.RazorPages;

namespace ARouter.Dashboard;

/// <summary>A page of a signed-in account. Everything it reads or changes is scoped to <see cref="AccountId"/>, taken from the session, never from the request.</summary>
public abstract class DashboardPage : PageModel
{
    public string AccountId => User.AccountId() ?? throw new InvalidOperationException("Account pages require the account policy.");

    /// <summary>The client address the sign-in and sign-up throttles count by.</summary>
    protected string ClientAddress => HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    protected static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
