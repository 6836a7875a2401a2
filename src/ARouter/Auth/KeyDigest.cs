using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ARouter.Auth;

/// <summary>
/// A key's SHA-256 as four numbers: what the key cache is keyed by, so a request's look-up makes no hex string
/// (<see cref="ToHex"/> is the stored form, needed only when the database is asked).
/// </summary>
public readonly record struct KeyDigest(ulong A, ulong B, ulong C, ulong D)
{
    /// <summary>A fast unsalted hash is right here: the key is 238 bits of randomness, so there is nothing to brute-force.</summary>
    public static KeyDigest Of(ReadOnlySpan<char> key)
    {
        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var length = Encoding.UTF8.GetBytes(key, utf8);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], digest);
        return FromBytes(digest);
    }

    /// <summary>Reads a stored hash back; false for anything that is not 64 hex digits.</summary>
    public static bool TryParseHex(string hex, out KeyDigest digest)
    {
        Span<byte> bytes = stackalloc byte[SHA256.HashSizeInBytes];
        digest = default;
        if (hex.Length != 2 * SHA256.HashSizeInBytes || Convert.FromHexString(hex, bytes, out _, out _) != System.Buffers.OperationStatus.Done) return false;
        digest = FromBytes(bytes);
        return true;
    }

    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[SHA256.HashSizeInBytes];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, A);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[24..], D);
        return Convert.ToHexStringLower(bytes);
    }

    private static KeyDigest FromBytes(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]), BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
}
