using System.Data;
using System.Data.Common;

namespace ARouter.Storage.Sql;

/// <summary>
/// What SQLite and PostgreSQL do the same way, in SQL both dialects accept: accounts, keys, BYOK keys,
/// the ledger's reads and the readiness check. Each engine adds its connections, its migrations and the
/// ledger's write path, where the dialects and the locking differ.
/// </summary>
public abstract partial class SqlStore : IStore
{
    public abstract string Engine { get; }

    public abstract Task MigrateAsync(CancellationToken ct);

    /// <summary>Applies a batch in one database transaction. Charges are idempotent per generation id.</summary>
    public abstract Task<IReadOnlyList<AppliedEntry>> ApplyBatchAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken ct);

    public abstract ValueTask DisposeAsync();

    /// <summary>An open connection from the engine's pool.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>A readiness probe answers within this even when the database server accepts connections but never replies.</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(3);

    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ReadyTimeout);
        var opening = OpenAsync(timeout.Token);
        try
        {
            // Npgsql's open does not heed the token while it waits for the server's first reply: stop waiting
            // for it instead, and close the connection should it still arrive.
            await using var connection = await opening.WaitAsync(ReadyTimeout, ct);
            await using var command = Command(connection, "SELECT count(*) FROM schema_migrations");
            return Convert.ToInt64(await command.ExecuteScalarAsync(timeout.Token)) > 0;
        }
        catch (DbException)
        {
            // Unreachable, or reachable without a schema yet.
            return false;
        }
        catch (TimeoutException)
        {
            _ = opening.ContinueWith(late => late.Result.DisposeAsync().AsTask(), TaskContinuationOptions.OnlyOnRanToCompletion);
            return false;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    protected static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    protected static DateTimeOffset FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    protected static DbCommand Command(DbConnection connection, string sql, DbTransaction? tx = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        return command;
    }
}

/// <summary>Parameters typed on the way in, so a null needs no guessing and each engine binds the column's own type.</summary>
public static class DbCommandParameters
{
    /// <summary>The parameters of a page query (<see cref="SqlStore.PageCondition"/>): account, filter, cursor, size.</summary>
    public static T WithPage<T>(this T command, string accountId, ActivityFilter filter, PageCursor? before, int limit) where T : DbCommand =>
        command.With("@a", accountId).With("@m", filter.Model).With("@k", filter.KeyId)
            .With("@upto", before?.CreatedAt.ToUnixTimeMilliseconds() ?? long.MaxValue).With("@bid", before?.Id).With("@n", limit);

    public static T With<T>(this T command, string name, string? value) where T : DbCommand => command.Typed(name, DbType.String, value);
    public static T With<T>(this T command, string name, long? value) where T : DbCommand => command.Typed(name, DbType.Int64, value);
    public static T With<T>(this T command, string name, int? value) where T : DbCommand => command.Typed(name, DbType.Int32, value);
    public static T With<T>(this T command, string name, bool value) where T : DbCommand => command.Typed(name, DbType.Boolean, value);
    public static T With<T>(this T command, string name, byte[] value) where T : DbCommand => command.Typed(name, DbType.Binary, value);

    private static T Typed<T>(this T command, string name, DbType type, object? value) where T : DbCommand
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }
}
