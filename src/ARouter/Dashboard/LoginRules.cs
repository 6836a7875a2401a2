namespace ARouter.Dashboard;

/// <summary>
/// What an email and a password must be. Passwords follow NIST SP 800-63B: a length range and
/// nothing else (no composition rules), any characters including spaces.
/// </summary>
public static class LoginRules
{
    public const int MinPasswordLength = 10;
    public const int MaxPasswordLength = 256;
    public const int MaxEmailLength = 254;

    /// <summary>Trimmed and lower-cased: what sign-in looks up, so <c>Ann@Example.com</c> and <c>ann@example.com</c> are one person.</summary>
    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    public static string? CheckEmail(string? email)
    {
        var value = email?.Trim() ?? "";
        if (value.Length == 0) return "Enter your email address.";
        if (value.Length > MaxEmailLength) return $"An email address is at most {MaxEmailLength} characters.";
        var at = value.IndexOf('@');
        if (at < 1 || at != value.LastIndexOf('@') || at == value.Length - 1 || !value[(at + 1)..].Contains('.')
            || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            return "Enter an email address like name@example.com.";
        return null;
    }

    public static string? CheckPassword(string? password, string? email)
    {
        var value = password ?? "";
        if (value.Length < MinPasswordLength) return $"Use at least {MinPasswordLength} characters.";
        if (value.Length > MaxPasswordLength) return $"Use at most {MaxPasswordLength} characters.";
        if (value.Any(char.IsControl)) return "The password cannot contain control characters.";
        if (email is not null && string.Equals(value.Trim(), email.Trim(), StringComparison.OrdinalIgnoreCase)) return "The password cannot be your email address.";
        if (value.Distinct().Count() < 3) return "Use a less repetitive password.";
        return null;
    }
}
