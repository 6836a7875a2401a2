using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using ARouter.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ARouter.Dashboard;

/// <summary>
/// The claims in a dashboard session cookie, and their check on every request: a login's session ends
/// when the login is gone or its password changed; an operator's (admin token) session ends when
/// <c>AROUTER_ADMIN_TOKEN</c> changes or is removed.
/// </summary>
public static class DashboardSession
{
    public const string Scheme = "ARouter.Dashboard";
    public const string AccountClaim = "arouter:account";
    public const string LoginClaim = "arouter:login";
    public const string StampClaim = "arouter:stamp";
    public const string OperatorClaim = "arouter:operator";

    public static ClaimsPrincipal ForLogin(LoginRecord login)
    {
        var claims = new List<Claim>
        {
            new(LoginClaim, login.Id),
            new(AccountClaim, login.AccountId),
            new(ClaimTypes.Name, login.Email),
            new(StampClaim, login.SecurityStamp),
        };
        if (login.IsAdmin) claims.Add(new Claim(OperatorClaim, "login"));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
    }

    public static ClaimsPrincipal ForAdminToken(string adminToken) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.Name, "operator"),
        new Claim(OperatorClaim, "token"),
        new Claim(StampClaim, TokenStamp(adminToken)),
    ], Scheme));

    public static string? AccountId(this ClaimsPrincipal user) => user.FindFirstValue(AccountClaim);

    public static bool IsOperator(this ClaimsPrincipal user) => user.HasClaim(c => c.Type == OperatorClaim);

    /// <summary>Stands for the admin token in the cookie without being it: a hash that cannot be turned back.</summary>
    public static string TokenStamp(string adminToken) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("arouter-dashboard-operator\n" + adminToken)));

    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (!await IsCurrentAsync(context))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(Scheme);
        }
    }

    private static async Task<bool> IsCurrentAsync(CookieValidatePrincipalContext context)
    {
        var user = context.Principal;
        if (user is null) return false;
        var stamp = user.FindFirstValue(StampClaim);
        if (user.FindFirstValue(OperatorClaim) == "token")
        {
            var token = context.HttpContext.RequestServices.GetRequiredService<IConfiguration>()["AROUTER_ADMIN_TOKEN"];
            return !string.IsNullOrEmpty(token) && stamp is not null
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stamp), Encoding.ASCII.GetBytes(TokenStamp(token)));
        }
        var loginId = user.FindFirstValue(LoginClaim);
        if (loginId is null) return false;
        var login = await context.HttpContext.RequestServices.GetRequiredService<ILoginStore>().GetLoginAsync(loginId, context.HttpContext.RequestAborted);
        return login is not null && login.SecurityStamp == stamp && login.AccountId == user.AccountId() && login.IsAdmin == user.IsOperator();
    }
}
