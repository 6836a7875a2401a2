using System.Data.Common;

namespace ARouter.Storage.Sql;

public abstract partial class SqlStore
{
    private const string KeyColumns =
        "id, account_id, name, key_hash, prefix, is_management, limit_nanos, usage_nanos, rate_limit_requests, rate_limit_interval_seconds, disabled, revoked_at, created_at, last_used_at";

    public async Task CreateKeyAsync(ApiKeyRecord key, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ThrowIfNoAccountAsync(connection, tx, key.AccountId, ct);
        await InsertKeyAsync(connection, tx, key, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<ApiKeyRecord?> FindByHashAsync(string keyHash, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, $"SELECT {KeyColumns} FROM api_keys WHERE key_hash = @h").With("@h", keyHash);
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadKey(reader) : null;
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, $"SELECT {KeyColumns} FROM api_keys WHERE account_id = @a AND revoked_at IS NULL ORDER BY created_at, id").With("@a", accountId);
        await using var reader = await select.ExecuteReaderAsync(ct);
        var keys = new List<ApiKeyRecord>();
        while (await reader.ReadAsync(ct)) keys.Add(ReadKey(reader));
        return keys;
    }

    public async Task<ApiKeyRecord?> GetKeyAsync(string accountId, string keyId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        return await GetLiveKeyAsync(connection, null, accountId, keyId, ct);
    }

    public async Task<ApiKeyRecord?> UpdateKeyAsync(ApiKeyRecord key, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var update = Command(connection, """
            UPDATE api_keys SET name = @n, limit_nanos = @l, rate_limit_requests = @rr, rate_limit_interval_seconds = @ri, disabled = @d
            WHERE id = @id AND account_id = @a AND revoked_at IS NULL
            """, tx))
        {
            var changed = await update.With("@n", key.Name).With("@l", key.LimitNanos).With("@rr", key.RateLimitRequests).With("@ri", key.RateLimitIntervalSeconds)
                .With("@d", key.Disabled).With("@id", key.Id).With("@a", key.AccountId).ExecuteNonQueryAsync(ct);
            if (changed == 0) return null;
        }
        await BumpKeysVersionAsync(connection, tx, ct);
        var stored = await GetLiveKeyAsync(connection, tx, key.AccountId, key.Id, ct);
        await tx.CommitAsync(ct);
        return stored;
    }

    public async Task<ApiKeyRecord?> RevokeKeyAsync(string accountId, string keyId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Revoke only a live key, in one statement, so two instances revoking at once report it once.
        await using (var revoke = Command(connection, $"UPDATE api_keys SET revoked_at = @now WHERE id = @id AND account_id = @a AND revoked_at IS NULL RETURNING {KeyColumns}", tx))
        {
            revoke.With("@now", Now()).With("@id", keyId).With("@a", accountId);
            await using var reader = await revoke.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            var key = ReadKey(reader);
            await reader.CloseAsync();
            await BumpKeysVersionAsync(connection, tx, ct);
            await tx.CommitAsync(ct);
            return key;
        }
    }

    public async Task<long> GetKeysVersionAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, "SELECT value FROM meta WHERE name = 'keys_version'");
        return await select.ExecuteScalarAsync(ct) is long version ? version : 0;
    }

    private static async Task<ApiKeyRecord?> GetLiveKeyAsync(DbConnection connection, DbTransaction? tx, string accountId, string keyId, CancellationToken ct)
    {
        await using var select = Command(connection, $"SELECT {KeyColumns} FROM api_keys WHERE id = @id AND account_id = @a AND revoked_at IS NULL", tx)
            .With("@id", keyId).With("@a", accountId);
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadKey(reader) : null;
    }

    private static async Task BumpKeysVersionAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        await using var bump = Command(connection, "UPDATE meta SET value = value + 1 WHERE name = 'keys_version'", tx);
        await bump.ExecuteNonQueryAsync(ct);
    }

    private static async Task InsertKeyAsync(DbConnection connection, DbTransaction tx, ApiKeyRecord key, CancellationToken ct)
    {
        await using var insert = Command(connection,
            $"INSERT INTO api_keys ({KeyColumns}) VALUES (@id, @a, @n, @h, @p, @m, @l, 0, @rr, @ri, @d, NULL, @c, NULL)", tx);
        await insert.With("@id", key.Id).With("@a", key.AccountId).With("@n", key.Name).With("@h", key.KeyHash).With("@p", key.Prefix)
            .With("@m", key.IsManagement).With("@l", key.LimitNanos).With("@rr", key.RateLimitRequests)
            .With("@ri", key.RateLimitIntervalSeconds).With("@d", key.Disabled).With("@c", key.CreatedAt.ToUnixTimeMilliseconds())
            .ExecuteNonQueryAsync(ct);
    }

    private static ApiKeyRecord ReadKey(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        AccountId = r.GetString(1),
        Name = r.GetString(2),
        KeyHash = r.GetString(3),
        Prefix = r.GetString(4),
        IsManagement = r.GetBoolean(5),
        LimitNanos = r.IsDBNull(6) ? null : r.GetInt64(6),
        UsageNanos = r.GetInt64(7),
        RateLimitRequests = r.IsDBNull(8) ? null : r.GetInt32(8),
        RateLimitIntervalSeconds = r.IsDBNull(9) ? null : r.GetInt32(9),
        Disabled = r.GetBoolean(10),
        RevokedAt = r.IsDBNull(11) ? null : FromUnixMs(r.GetInt64(11)),
        CreatedAt = FromUnixMs(r.GetInt64(12)),
        LastUsedAt = r.IsDBNull(13) ? null : FromUnixMs(r.GetInt64(13)),
    };
}
