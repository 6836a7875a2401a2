using ARouter.Billing;
using ARouter.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace ARouter.Dashboard;

/// <summary>
/// Email + password logins: sign-up, verification and logins for existing accounts. Passwords are hashed
/// with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2-HMAC-SHA512, salted, 100,000
/// iterations); a hash in an older format is upgraded on the next successful sign-in.
/// </summary>
public sealed class PasswordLogins(ILoginStore store, IOptions<DashboardOptions> options)
{
    private static readonly PasswordHasher<LoginRecord> Hasher = new();
    // Verifying against this when the email is unknown makes both answers take as long.
    private static readonly Lazy<string> UnknownEmailHash = new(() => Hasher.HashPassword(null!, Storage.Ids.Random(24)));

    /// <summary>Creates an account, named by the email, with its login and the configured starting credit.</summary>
    /// <exception cref="DuplicateLoginException">The email already has a login.</exception>
    public async Task<LoginRecord> SignUpAsync(string email, string password, CancellationToken ct)
    {
        var login = NewLogin(Storage.Ids.NewAccountId(), email, password, isAdmin: false);
        await store.CreateAccountWithLoginAsync(email.Trim(), Money.ToNanos(Math.Max(0, options.Value.StartingCredit)), login, ct);
        return login;
    }

    /// <summary>Gives an account that exists (created by the admin API or the CLI) its login.</summary>
    public async Task<LoginRecord> AddToAccountAsync(string accountId, string email, string password, bool isAdmin, CancellationToken ct)
    {
        var login = NewLogin(accountId, email, password, isAdmin);
        await store.AddLoginAsync(login, ct);
        return login;
    }

    /// <summary>The login when the password is right, else null (also for an unknown email, after the same work).</summary>
    public async Task<LoginRecord?> VerifyAsync(string email, string password, CancellationToken ct)
    {
        var login = await store.FindLoginByEmailAsync(LoginRules.NormalizeEmail(email), ct);
        if (login is null)
        {
            Hasher.VerifyHashedPassword(null!, UnknownEmailHash.Value, password);
            return null;
        }
        var result = Hasher.VerifyHashedPassword(login, login.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed) return null;
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
            await store.UpdatePasswordAsync(login.Id, Hasher.HashPassword(login, password), login.SecurityStamp, ct);
        await store.RecordSignInAsync(login.Id, ct);
        return login;
    }

    private static LoginRecord NewLogin(string accountId, string email, string password, bool isAdmin)
    {
        var login = new LoginRecord
        {
            Id = "login_" + Storage.Ids.Random(16),
            AccountId = accountId,
            Email = email.Trim(),
            EmailNormalized = LoginRules.NormalizeEmail(email),
            PasswordHash = "",
            IsAdmin = isAdmin,
            SecurityStamp = Storage.Ids.Random(24),
            CreatedAt = DateTimeOffset.UtcNow,
        };
        return login with { PasswordHash = Hasher.HashPassword(login, password) };
    }
}
