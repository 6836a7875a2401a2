using Microsoft.Data.Sqlite;

namespace ARouter.Storage.Sqlite;

public sealed partial class SqliteStore
{
    private const string KeyColumns =
        "id, account_id, name, key_hash, prefix, is_management, limit_nanos, usage_nanos, rate_limit_requests, rate_limit_interval_seconds, disabled, revoked_at, created_at, last_used_at";

    public async Task CreateKeyAsync(ApiKeyRecord key, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using (var exists = Command(connection, "SELECT 1 FROM accounts WHERE id = @a", tx).With("@a", key.AccountId))
        {
            if (await exists.ExecuteScalarAsync(ct) is null) throw new KeyNotFoundException($"No account '{key.AccountId}'.");
        }
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

    private static async Task InsertKeyAsync(SqliteConnection connection, SqliteTransaction tx, ApiKeyRecord key, CancellationToken ct)
    {
        await using var insert = Command(connection,
            $"INSERT INTO api_keys ({KeyColumns}) VALUES (@id, @a, @n, @h, @p, @m, @l, 0, @rr, @ri, @d, NULL, @c, NULL)", tx);
        await insert.With("@id", key.Id).With("@a", key.AccountId).With("@n", key.Name).With("@h", key.KeyHash).With("@p", key.Prefix)
            .With("@m", key.IsManagement ? 1 : 0).With("@l", key.LimitNanos).With("@rr", key.RateLimitRequests)
            .With("@ri", key.RateLimitIntervalSeconds).With("@d", key.Disabled ? 1 : 0).With("@c", key.CreatedAt.ToUnixTimeMilliseconds())
            .ExecuteNonQueryAsync(ct);
    }

    private static ApiKeyRecord ReadKey(SqliteDataReader r) => new()
    {
        Id = r.GetString(0),
        AccountId = r.GetString(1),
        Name = r.GetString(2),
        KeyHash = r.GetString(3),
        Prefix = r.GetString(4),
        IsManagement = r.GetInt64(5) != 0,
        LimitNanos = r.IsDBNull(6) ? null : r.GetInt64(6),
        UsageNanos = r.GetInt64(7),
        RateLimitRequests = r.IsDBNull(8) ? null : r.GetInt32(8),
        RateLimitIntervalSeconds = r.IsDBNull(9) ? null : r.GetInt32(9),
        Disabled = r.GetInt64(10) != 0,
        RevokedAt = r.IsDBNull(11) ? null : FromUnixMs(r.GetInt64(11)),
        CreatedAt = FromUnixMs(r.GetInt64(12)),
        LastUsedAt = r.IsDBNull(13) ? null : FromUnixMs(r.GetInt64(13)),
    };
}
