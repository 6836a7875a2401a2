using System.Data.Common;

namespace ARouter.Storage.Sql;

public abstract partial class SqlStore
{
    public async Task<AccountRecord> CreateAccountAsync(string name, long initialCreditNanos, ApiKeyRecord firstKey, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var account = await InsertAccountAsync(connection, tx, firstKey.AccountId, name, initialCreditNanos, "initial credit", ct);
        await InsertKeyAsync(connection, tx, firstKey, ct);
        await tx.CommitAsync(ct);
        return account;
    }

    /// <summary>A new account row, and its first credit transaction when it starts with credit.</summary>
    protected static async Task<AccountRecord> InsertAccountAsync(DbConnection connection, DbTransaction tx, string accountId, string name, long initialCreditNanos,
        string creditDescription, CancellationToken ct)
    {
        var now = Now();
        await using (var insert = Command(connection,
            "INSERT INTO accounts (id, name, balance_nanos, total_credits_nanos, total_usage_nanos, created_at) VALUES (@id, @name, @b, @b, 0, @now)", tx))
        {
            await insert.With("@id", accountId).With("@name", name).With("@b", initialCreditNanos).With("@now", now).ExecuteNonQueryAsync(ct);
        }
        if (initialCreditNanos > 0)
            await InsertCreditTransactionAsync(connection, tx, accountId, initialCreditNanos, initialCreditNanos, creditDescription, Ids.NewTransactionId(), now, ct);
        return new AccountRecord(accountId, name, initialCreditNanos, initialCreditNanos, 0, FromUnixMs(now));
    }

    /// <summary>Refuses, inside the transaction, to attach something to an account that does not exist.</summary>
    protected static async Task ThrowIfNoAccountAsync(DbConnection connection, DbTransaction tx, string accountId, CancellationToken ct)
    {
        await using var exists = Command(connection, "SELECT 1 FROM accounts WHERE id = @a", tx).With("@a", accountId);
        if (await exists.ExecuteScalarAsync(ct) is null) throw new KeyNotFoundException($"No account '{accountId}'.");
    }

    public async Task<AccountRecord?> GetAccountAsync(string id, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection,
            "SELECT id, name, balance_nanos, total_credits_nanos, total_usage_nanos, created_at FROM accounts WHERE id = @id").With("@id", id);
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new AccountRecord(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), FromUnixMs(reader.GetInt64(5)));
    }

    public async Task<AccountRecord> AddCreditDirectAsync(string accountId, long amountNanos, string? description, CancellationToken ct)
    {
        var applied = await ApplyBatchAsync([new CreditEntry(accountId, amountNanos, Ids.NewTransactionId(), description)], ct);
        if (!applied[0].Applied) throw new KeyNotFoundException($"No account '{accountId}'.");
        return (await GetAccountAsync(accountId, ct))!;
    }

    protected static async Task InsertCreditTransactionAsync(DbConnection connection, DbTransaction tx, string accountId, long amount, long balanceAfter, string? description, string transactionId, long now, CancellationToken ct)
    {
        await using var insert = Command(connection,
            "INSERT INTO transactions (id, account_id, type, amount_nanos, balance_after_nanos, description, created_at) VALUES (@id, @a, 'credit', @amt, @after, @d, @now)", tx);
        await insert.With("@id", transactionId).With("@a", accountId).With("@amt", amount).With("@after", balanceAfter)
            .With("@d", description).With("@now", now).ExecuteNonQueryAsync(ct);
    }
}
