using Npgsql;

namespace ARouter.Storage.Postgres;

public sealed partial class PostgresStore
{
    private const string LoginColumns = "id, account_id, email, email_normalized, password_hash, is_admin, security_stamp, created_at, last_sign_in_at";

    public async Task<AccountRecord> CreateAccountWithLoginAsync(string accountName, long initialCreditNanos, LoginRecord login, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var now = Now();
        await InsertAccountAsync(connection, tx, login.AccountId, accountName, initialCreditNanos, now, ct);
        await InsertLoginAsync(connection, tx, login, ct);
        if (initialCreditNanos > 0)
            await InsertCreditTransactionAsync(connection, tx, login.AccountId, initialCreditNanos, initialCreditNanos, "starting credit", Ids.NewTransactionId(), now, ct);
        await tx.CommitAsync(ct);
        return new AccountRecord(login.AccountId, accountName, initialCreditNanos, initialCreditNanos, 0, FromUnixMs(now));
    }

    public async Task AddLoginAsync(LoginRecord login, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await RequireAccountAsync(connection, tx, login.AccountId, ct);
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

    private static async Task InsertLoginAsync(NpgsqlConnection connection, NpgsqlTransaction tx, LoginRecord login, CancellationToken ct)
    {
        await using var insert = Command(connection, $"INSERT INTO logins ({LoginColumns}) VALUES (@id, @a, @e, @en, @h, @adm, @s, @c, NULL)", tx);
        insert.With("@id", login.Id).With("@a", login.AccountId).With("@e", login.Email).With("@en", login.EmailNormalized).With("@h", login.PasswordHash)
            .With("@adm", login.IsAdmin).With("@s", login.SecurityStamp).With("@c", login.CreatedAt.ToUnixTimeMilliseconds());
        try
        {
            await insert.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new DuplicateLoginException("That email already has a login, or the account already has one.");
        }
    }

    private static LoginRecord ReadLogin(NpgsqlDataReader r) => new()
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
