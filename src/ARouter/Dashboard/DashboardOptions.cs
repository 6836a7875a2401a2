namespace ARouter.Dashboard;

/// <summary>The dashboard's settings, bound from <c>ARouter:Dashboard</c> (<c>AROUTER__DASHBOARD__...</c>).</summary>
public sealed record DashboardOptions
{
    /// <summary>Off: <c>/</c> and the dashboard pages are not served at all (the API is unaffected).</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Whether people may create an account themselves at <c>/signup</c>.</summary>
    public bool Signup { get; set; } = true;
    /// <summary>USD credited to an account created by sign-up.</summary>
    public decimal StartingCredit { get; set; }
    /// <summary>The base URL the quick start shows (e.g. <c>https://api.example.com</c>) when the gateway sits behind a proxy; else the request's own.</summary>
    public string? PublicBaseUrl { get; set; }
    /// <summary>Always mark the session cookie Secure, also on plain HTTP (set this behind a TLS-terminating proxy). Otherwise it is Secure on HTTPS requests.</summary>
    public bool SecureCookies { get; set; }
    /// <summary>How long a session lasts without use; each use extends it.</summary>
    public int SessionHours { get; set; } = 168;
    /// <summary>Failed sign-ins allowed per email in <see cref="ThrottleWindowMinutes"/>.</summary>
    public int FailuresPerEmail { get; set; } = 10;
    /// <summary>Failed sign-ins allowed per client address in <see cref="ThrottleWindowMinutes"/>.</summary>
    public int FailuresPerAddress { get; set; } = 50;
    /// <summary>Sign-ups allowed per client address in <see cref="ThrottleWindowMinutes"/>.</summary>
    public int SignupsPerAddress { get; set; } = 10;
    public int ThrottleWindowMinutes { get; set; } = 15;
    /// <summary>Where the keys that protect session cookies and anti-forgery tokens are kept; default: <c>dashboard-keys/</c> beside the SQLite file.</summary>
    public string? KeysDirectory { get; set; }
}
