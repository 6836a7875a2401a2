using System.Security.Cryptography;

namespace ARouter.Storage;

/// <summary>Opaque, unguessable identifiers with a type prefix, as the public API shows them.</summary>
public static class Ids
{
    public static string NewAccountId() => "acct_" + Random(16);
    public static string NewKeyId() => "key_" + Random(16);
    public static string NewTransactionId() => "txn_" + Random(16);
    public static string NewGenerationId() => "gen-" + Random(24);
    public static string NewRequestId() => "req_" + Random(16);

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>CSPRNG characters from a 62-symbol alphabet (unbiased: GetString rejects out-of-range draws).</summary>
    public static string Random(int length) => RandomNumberGenerator.GetString(Alphabet, length);
}
