namespace ARouter.Storage.Sql;

public abstract partial class SqlStore
{
    public async Task UpsertProviderKeyAsync(string accountId, string provider, byte[] ciphertext, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var upsert = Command(connection, """
            INSERT INTO provider_keys (account_id, provider, ciphertext, created_at, updated_at) VALUES (@a, @p, @c, @now, @now)
            ON CONFLICT (account_id, provider) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
            """);
        await upsert.With("@a", accountId).With("@p", provider).With("@c", ciphertext).With("@now", Now()).ExecuteNonQueryAsync(ct);
    }

    public async Task<byte[]?> GetProviderKeyAsync(string accountId, string provider, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, "SELECT ciphertext FROM provider_keys WHERE account_id = @a AND provider = @p").With("@a", accountId).With("@p", provider);
        return await select.ExecuteScalarAsync(ct) as byte[];
    }

    public async Task<IReadOnlyList<StoredProviderKey>> ListProviderKeysAsync(string accountId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, "SELECT provider, created_at, updated_at FROM provider_keys WHERE account_id = @a ORDER BY provider").With("@a", accountId);
        await using var reader = await select.ExecuteReaderAsync(ct);
        var keys = new List<StoredProviderKey>();
        while (await reader.ReadAsync(ct)) keys.Add(new StoredProviderKey(reader.GetString(0), FromUnixMs(reader.GetInt64(1)), FromUnixMs(reader.GetInt64(2))));
        return keys;
    }

    public async Task<bool> DeleteProviderKeyAsync(string accountId, string provider, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var delete = Command(connection, "DELETE FROM provider_keys WHERE account_id = @a AND provider = @p").With("@a", accountId).With("@p", provider);
        return await delete.ExecuteNonQueryAsync(ct) > 0;
    }
}
