namespace ARouter.Storage;

public interface IAccountStore
{
    /// <summary>Creates the account, its first (management) key and its opening credit in one transaction.</summary>
    Task<AccountRecord> CreateAccountAsync(string name, long initialCreditNanos, ApiKeyRecord firstKey, CancellationToken ct);
    Task<AccountRecord?> GetAccountAsync(string id, CancellationToken ct);
    /// <summary>Adds credit directly; used by the CLI, which runs without the gateway's ledger writer.</summary>
    Task<AccountRecord> AddCreditDirectAsync(string accountId, long amountNanos, string? description, CancellationToken ct);
}

public interface IKeyStore
{
    Task CreateKeyAsync(ApiKeyRecord key, CancellationToken ct);
    Task<ApiKeyRecord?> FindByHashAsync(string keyHash, CancellationToken ct);
    /// <summary>The account's keys that are not revoked, oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string accountId, CancellationToken ct);
    Task<ApiKeyRecord?> GetKeyAsync(string accountId, string keyId, CancellationToken ct);
    /// <summary>Writes name, limit, rate limit and disabled; returns the stored record, or null when there is no such live key.</summary>
    Task<ApiKeyRecord?> UpdateKeyAsync(ApiKeyRecord key, CancellationToken ct);
    Task<ApiKeyRecord?> RevokeKeyAsync(string accountId, string keyId, CancellationToken ct);
    /// <summary>Bumped by every key change in any process; a cache that sees it move drops its entries.</summary>
    Task<long> GetKeysVersionAsync(CancellationToken ct);
}

public interface IProviderKeyStore
{
    Task UpsertProviderKeyAsync(string accountId, string provider, byte[] ciphertext, CancellationToken ct);
    Task<byte[]?> GetProviderKeyAsync(string accountId, string provider, CancellationToken ct);
    Task<IReadOnlyList<StoredProviderKey>> ListProviderKeysAsync(string accountId, CancellationToken ct);
    Task<bool> DeleteProviderKeyAsync(string accountId, string provider, CancellationToken ct);
}

public interface ILedgerStore
{
    Task<long?> GetBalanceAsync(string accountId, CancellationToken ct);
    /// <summary>Applies a batch in one database transaction. Charges are idempotent per generation id.</summary>
    Task<IReadOnlyList<AppliedEntry>> ApplyBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct);
    /// <summary>Credits and charges, newest first (a charge is dated by its request), strictly older than <paramref name="before"/>.</summary>
    Task<IReadOnlyList<TransactionRecord>> ListTransactionsAsync(string accountId, PageCursor? before, int limit, CancellationToken ct);
    Task<GenerationRecord?> GetGenerationAsync(string accountId, string generationId, CancellationToken ct);
}

public interface IDatabaseHealth
{
    Task<bool> IsReadyAsync(CancellationToken ct);
}

/// <summary>
/// One database behind every storage interface: SQLite (embedded, one instance) or PostgreSQL (many
/// instances). The gateway and the CLI hold this, never an engine's type; <see cref="StoreSelector"/> picks it.
/// </summary>
public interface IStore : IAccountStore, IKeyStore, IProviderKeyStore, ILedgerStore, ILoginStore, IActivityStore, IDatabaseHealth, IAsyncDisposable
{
    /// <summary>"sqlite" or "postgres", as logs name it.</summary>
    string Engine { get; }

    /// <summary>Applies pending schema migrations; safe at every start and from several instances at once.</summary>
    Task MigrateAsync(CancellationToken ct);
}
