using System.Security.Cryptography;

namespace ARouter.Storage;

/// <summary>Opaque, unguessable identifiers with a type prefix, as the public API shows them.</summary>
public static class Ids
{
    public static string NewAccountId() => "acct_" + Random(16);
    public static string NewKeyId() => "key_" + Random(16);
    public static string NewTransactionId() => "txn_" + TimeOrdered();
    public static string NewGenerationId() => "gen-" + TimeOrdered();
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
        for (var i = 0; i < destination.Length; i++) destination[i] = Alphabet[RandomDigit()];
    }

    /// <summary>A uniform base-62 number of <paramref name="digits"/> random digits (at most 10).</summary>
    private static ulong RandomNumber(int digits)
    {
        var n = 0UL;
        for (var i = 0; i < digits; i++) n = n * 62 + (uint)RandomDigit();
        return n;
    }

    private static int RandomDigit()
    {
        var block = t_block ??= new RandomBlock();
        while (true)
        {
            var b = block.Next();
            if (b < Unbiased) return b % 62;
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
    /// The creation millisecond in 8 sortable characters, then 16 random ones. Ids written once per request (charges,
    /// generations) are unique-indexed: random ids land on a random index page each, so every insert dirtied (and
    /// WAL-wrote) a page of its own and missed the page cache; ids that grow with time append to the index's last page,
    /// which a batch of inserts shares. Within one process they also grow within a millisecond (the random part of the
    /// id before, plus a random step), so lists ordered by time and then id keep the order things happened in here.
    /// Still unguessable: the random part is 95 bits, and the next id's lies a random step of up to 2^40 further.
    /// </summary>
    private static string TimeOrdered()
    {
        // The 16 random characters as two 8-digit base-62 halves, each below 62^8 (48 bits), so all of it is ulong arithmetic.
        var step = 1 + RandomNumber(7) % (1UL << 40);
        var (firstHigh, firstLow) = (RandomNumber(HalfDigits), RandomNumber(HalfDigits));
        ulong ms, high, low;
        lock (s_lastGate)
        {
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (now > s_lastMs) (s_lastMs, s_lastHigh, s_lastLow) = (now, firstHigh, firstLow);
            else
            {
                // The same millisecond, or a clock that went back: count on from the last id.
                s_lastLow += step;
                if (s_lastLow >= HalfSpace)
                {
                    s_lastLow -= HalfSpace;
                    if (++s_lastHigh == HalfSpace) (s_lastMs, s_lastHigh) = (s_lastMs + 1, 0);
                }
            }
            (ms, high, low) = (s_lastMs, s_lastHigh, s_lastLow);
        }
        return string.Create(TimeChars + 2 * HalfDigits, (ms, high, low), static (span, id) =>
        {
            WriteSorted(span[..TimeChars], id.ms);
            WriteSorted(span.Slice(TimeChars, HalfDigits), id.high);
            WriteSorted(span[(TimeChars + HalfDigits)..], id.low);
        });
    }

    /// <summary>A number in fixed-width base 62, most significant digit first, in <see cref="SortedAlphabet"/>.</summary>
    private static void WriteSorted(Span<char> destination, ulong number)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = SortedAlphabet[(int)(number % 62)];
            number /= 62;
        }
    }

    private const int HalfDigits = 8;
    private const ulong HalfSpace = 218_340_105_584_896; // 62^8
    private static readonly Lock s_lastGate = new();
    private static ulong s_lastMs, s_lastHigh, s_lastLow;
}
