namespace ARouter.Storage;

public interface ILoginStore
{
    /// <summary>Creates an account with its login and opening credit in one transaction (sign-up); throws <see cref="DuplicateLoginException"/> when the email is taken.</summary>
    Task<AccountRecord> CreateAccountWithLoginAsync(string accountName, long initialCreditNanos, LoginRecord login, CancellationToken ct);
    /// <summary>Gives an existing account its login; throws <see cref="DuplicateLoginException"/> when the email is taken or the account has one.</summary>
    Task AddLoginAsync(LoginRecord login, CancellationToken ct);
    Task<LoginRecord?> FindLoginByEmailAsync(string emailNormalized, CancellationToken ct);
    Task<LoginRecord?> GetLoginAsync(string loginId, CancellationToken ct);
    /// <summary>Replaces the hash; a new <paramref name="securityStamp"/> ends other sessions, the same one keeps them (a rehash).</summary>
    Task UpdatePasswordAsync(string loginId, string passwordHash, string securityStamp, CancellationToken ct);
    Task RecordSignInAsync(string loginId, CancellationToken ct);
}

/// <summary>Read-only views the dashboard shows: spend by day, paged activity, the operator's account list. Metadata only.</summary>
public interface IActivityStore
{
    Task<IReadOnlyList<DailyModelSpend>> DailySpendAsync(string accountId, DateOnly fromDay, CancellationToken ct);
    Task<IReadOnlyList<GenerationRecord>> FindGenerationsAsync(string accountId, ActivityFilter filter, PageCursor? before, int limit, CancellationToken ct);
    Task<IReadOnlyList<TransactionRecord>> FindTransactionsAsync(string accountId, ActivityFilter filter, PageCursor? before, int limit, CancellationToken ct);
    /// <summary>The models this account has sent requests to, for the filter.</summary>
    Task<IReadOnlyList<string>> UsedModelsAsync(string accountId, CancellationToken ct);
    /// <summary>Accounts newest first, optionally those whose id, name or login email contains <paramref name="search"/>.</summary>
    Task<IReadOnlyList<AccountSummary>> ListAccountsAsync(string? search, int offset, int limit, CancellationToken ct);
}

/// <summary>The email is already someone's login, or the account already has one.</summary>
public sealed class DuplicateLoginException(string message) : Exception(message);
