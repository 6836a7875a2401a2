using System.Data.Common;

namespace ARouter.Storage.Sql;

public abstract partial class SqlStore
{
    private const string LoginColumns = "id, account_id, email, email_normalized, password_hash, is_admin, security_stamp, created_at, last_sign_in_at";

    public async Task<AccountRecord> CreateAccountWithLoginAsync(string accountName, long initialCreditNanos, LoginRecord login, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ThrowIfLoginTakenAsync(connection, tx, login, ct);
        var account = await InsertAccountAsync(connection, tx, login.AccountId, accountName, initialCreditNanos, "starting credit", ct);
        await InsertLoginAsync(connection, tx, login, ct);
        await tx.CommitAsync(ct);
        return account;
    }

    public async Task AddLoginAsync(LoginRecord login, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ThrowIfNoAccountAsync(connection, tx, login.AccountId, ct);
        await ThrowIfLoginTakenAsync(connection, tx, login, ct);
        await InsertLoginAsync(connection, tx, login, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<LoginRecord?> FindLoginByEmailAsync(string emailNormalized, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, $"SELECT {LoginColumns} FROM logins WHERE email_normalized = @e").With("@e", emailNormalized);
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadLogin(reader) : null;
    }

    public async Task<LoginRecord?> GetLoginAsync(string loginId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var select = Command(connection, $"SELECT {LoginColumns} FROM logins WHERE id = @id").With("@id", loginId);
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadLogin(reader) : null;
    }

    public async Task UpdatePasswordAsync(string loginId, string passwordHash, string securityStamp, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var update = Command(connection, "UPDATE logins SET password_hash = @h, security_stamp = @s WHERE id = @id")
            .With("@h", passwordHash).With("@s", securityStamp).With("@id", loginId);
        await update.ExecuteNonQueryAsync(ct);
    }

    public async Task RecordSignInAsync(string loginId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var update = Command(connection, "UPDATE logins SET last_sign_in_at = @now WHERE id = @id").With("@now", Now()).With("@id", loginId);
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The friendly refusal; the unique indexes still refuse a race between two sign-ups of one email.</summary>
    private static async Task ThrowIfLoginTakenAsync(DbConnection connection, DbTransaction tx, LoginRecord login, CancellationToken ct)
    {
        await using var taken = Command(connection, "SELECT 1 FROM logins WHERE email_normalized = @e OR account_id = @a", tx)
            .With("@e", login.EmailNormalized).With("@a", login.AccountId);
        if (await taken.ExecuteScalarAsync(ct) is not null) throw new DuplicateLoginException("That email already has a login, or the account already has one.");
    }

    private static async Task InsertLoginAsync(DbConnection connection, DbTransaction tx, LoginRecord login, CancellationToken ct)
    {
        await using var insert = Command(connection, $"INSERT INTO logins ({LoginColumns}) VALUES (@id, @a, @e, @en, @h, @adm, @s, @c, NULL)", tx);
        await insert.With("@id", login.Id).With("@a", login.AccountId).With("@e", login.Email).With("@en", login.EmailNormalized).With("@h", login.PasswordHash)
            .With("@adm", login.IsAdmin).With("@s", login.SecurityStamp).With("@c", login.CreatedAt.ToUnixTimeMilliseconds()).ExecuteNonQueryAsync(ct);
    }

    private static LoginRecord ReadLogin(DbDataReader r) => new()
    {
        Id = r.GetString(0),
        AccountId = r.GetString(1),
        Email = r.GetString(2),
        EmailNormalized = r.GetString(3),
        PasswordHash = r.GetString(4),
        IsAdmin = r.GetBoolean(5),
        SecurityStamp = r.GetString(6),
        CreatedAt = FromUnixMs(r.GetInt64(7)),
        LastSignInAt = r.IsDBNull(8) ? null : FromUnixMs(r.GetInt64(8)),
    };
}
