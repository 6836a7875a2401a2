using System.Data.Common;

namespace ARouter.Storage.Sql;

public abstract partial class SqlStore
{
    public async Task<AccountRecord> CreateAccountAsync(string name, long initialCreditNanos, ApiKeyRecord firstKey, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = Now();
        await using (var insert = Command(connection,
            "INSERT INTO accounts (id, name, balance_nanos, total_credits_nanos, total_usage_nanos, created_at) VALUES (@id, @name, @b, @b, 0, @now)", tx))
        {
            await insert.With("@id", firstKey.AccountId).With("@name", name).With("@b", initialCreditNanos).With("@now", now).ExecuteNonQueryAsync(ct);
        }
        await InsertKeyAsync(connection, tx, firstKey, ct);
        if (initialCreditNanos > 0)
            await InsertCreditTransactionAsync(connection, tx, firstKey.AccountId, initialCreditNanos, initialCreditNanos, "initial credit", Ids.NewTransactionId(), now, ct);
        await tx.CommitAsync(ct);
        return new AccountRecord(firstKey.AccountId, name, initialCreditNanos, initialCreditNanos, 0, FromUnixMs(now));
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
