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
}

public interface ILedgerStore
{
    Task<long?> GetBalanceAsync(string accountId, CancellationToken ct);
    /// <summary>Applies a batch in one database transaction. Charges are idempotent per generation id.</summary>
    Task<IReadOnlyList<AppliedEntry>> ApplyBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct);
    Task<IReadOnlyList<TransactionRecord>> ListTransactionsAsync(string accountId, long? beforeSeq, int limit, CancellationToken ct);
    Task<GenerationRecord?> GetGenerationAsync(string accountId, string generationId, CancellationToken ct);
}

public interface IDatabaseHealth
{
    Task<bool> IsReadyAsync(CancellationToken ct);
}
