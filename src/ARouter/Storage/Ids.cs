using System.Security.Cryptography;

namespace ARouter.Storage;

/// <summary>Opaque, unguessable identifiers with a type prefix, as the public API shows them.</summary>
public static class Ids
{
    public static string NewAccountId() => "acct_" + Random(16);
    public static string NewKeyId() => "key_" + Random(16);
    public static string NewTransactionId() => "txn_" + TimeOrdered(16);
    public static string NewGenerationId() => "gen-" + TimeOrdered(16);
    public static string NewRequestId() => "req_" + Random(16);

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    /// <summary>The same 62 symbols in byte order, so a fixed-width number written with them sorts as the number does.</summary>
    private const string SortedAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int TimeChars = 8; // 62^8 ms ≈ 6,900 years

    /// <summary>CSPRNG characters from a 62-symbol alphabet.</summary>
    public static string Random(int length) => string.Create(length, 0, static (span, _) => FillRandom(span));

    /// <summary>The largest multiple of 62 a byte can hold: bytes at or above it are drawn again, so every symbol is equally likely.</summary>
    private const int Unbiased = 256 / 62 * 62;

    /// <summary>
    /// Random symbols from CSPRNG bytes drawn in bulk. <see cref="RandomNumberGenerator.GetItems{T}(ReadOnlySpan{T}, Span{T})"/>
    /// makes one OpenSSL call per symbol for an alphabet whose size is not a power of two, and even one call per id is an
    /// OpenSSL call plus a getpid system call (its fork check): three per request. Each thread keeps a block of drawn
    /// bytes and uses every byte once, so a request's ids take one OpenSSL call in about twenty. Rejection sampling keeps
    /// the draw uniform.
    /// </summary>
    private static void FillRandom(Span<char> destination)
    {
        var block = t_block ??= new RandomBlock();
        var filled = 0;
        while (filled < destination.Length)
        {
            var b = block.Next();
            if (b >= Unbiased) continue;
            destination[filled++] = Alphabet[b % 62];
        }
    }

    [ThreadStatic] private static RandomBlock? t_block;

    private sealed class RandomBlock
    {
        private readonly byte[] _bytes = new byte[1024];
        private int _next = 1024;

        public byte Next()
        {
            if (_next == _bytes.Length)
            {
                RandomNumberGenerator.Fill(_bytes);
                _next = 0;
            }
            var b = _bytes[_next];
            // Zeroed once handed out: an id's random bytes do not stay behind in memory.
            _bytes[_next++] = 0;
            return b;
        }
    }

    /// <summary>
    /// The creation millisecond in 8 sortable characters, then <paramref name="randomLength"/> random ones. Ids written
    /// once per request (charges, generations) are unique-indexed: random ids land on a random index page each, so every
    /// insert dirtied (and WAL-wrote) a page of its own and missed the page cache; ids that grow with time append to the
    /// index's last page, which a batch of inserts shares. Still unguessable: the random part alone is 95 bits.
    /// </summary>
    public static string TimeOrdered(int randomLength)
    {
        var time = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return string.Create(TimeChars + randomLength, time, static (span, ms) =>
        {
            for (var i = TimeChars - 1; i >= 0; i--)
            {
                span[i] = SortedAlphabet[(int)(ms % 62)];
                ms /= 62;
            }
            FillRandom(span[TimeChars..]);
        });
    }
}
