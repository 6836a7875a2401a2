namespace ARouter.Billing;

/// <summary>
/// The in-memory view of one account's money. <see cref="Committed"/> is the database balance as
/// of the last write this process made (or read); settled charges wait in <see cref="Unflushed"/>
/// until the ledger writer commits them; in-flight requests hold <see cref="Reserved"/>.
/// All fields are guarded by locking the instance.
/// </summary>
public sealed class AccountBalance(string accountId, long committed)
{
    public string AccountId { get; } = accountId;
    public long Committed { get; set; } = committed;
    public long Unflushed { get; set; }
    public long Reserved { get; set; }
    public long LastTouched { get; set; }

    public long Available => Committed - Unflushed - Reserved;
    public long Balance => Committed - Unflushed;
}
