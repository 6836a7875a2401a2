using System.Security.Cryptography;
using System.Text;
using ARouter.Storage;
using Microsoft.Extensions.Configuration;

namespace ARouter.Auth;

/// <summary>
/// Encrypts the provider keys accounts bring (BYOK) with AES-256-GCM. The key comes from
/// <c>AROUTER_SECRETS_KEY</c> (base64, 32 bytes); without it a random key is created once in
/// <c>secrets.key</c> beside the SQLite file. On PostgreSQL there is no such place every instance shares,
/// so the setting is required there: instances with different keys could not read each other's rows. Each ciphertext names the key that made it, so an operator
/// rotates by moving the old key to <c>AROUTER_SECRETS_KEY_PREVIOUS</c> (comma-separated) and setting a new one:
/// old rows still decrypt, and each is re-encrypted under the new key when next written.
/// The account and provider are bound in as associated data, so a ciphertext cannot be moved to another row.
/// </summary>
public sealed class ProviderKeyCipher
{
    private const byte FormatVersion = 1;
    private const int KeyIdSize = 8, NonceSize = 12, TagSize = 16, HeaderSize = 1 + KeyIdSize + NonceSize + TagSize;

    private readonly byte[] _current;
    private readonly Dictionary<string, byte[]> _byId;

    public ProviderKeyCipher(byte[] current, IEnumerable<byte[]> previous)
    {
        if (current.Length != 32) throw new ArgumentException("The secrets key must be 32 bytes.", nameof(current));
        _current = current;
        _byId = previous.Append(current).ToDictionary(k => Convert.ToHexString(KeyId(k)), k => k);
    }

    public static ProviderKeyCipher FromConfiguration(IConfiguration configuration)
    {
        var configured = configuration["AROUTER_SECRETS_KEY"];
        var current = string.IsNullOrWhiteSpace(configured) ? LoadOrCreateKeyFile(configuration) : Decode(configured, "AROUTER_SECRETS_KEY");
        var previous = (configuration["AROUTER_SECRETS_KEY_PREVIOUS"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(k => Decode(k, "AROUTER_SECRETS_KEY_PREVIOUS"));
        return new ProviderKeyCipher(current, previous);
    }

    public byte[] Encrypt(string plaintext, string accountId, string provider)
    {
        var input = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[HeaderSize + input.Length];
        output[0] = FormatVersion;
        KeyId(_current).CopyTo(output, 1);
        var nonce = output.AsSpan(1 + KeyIdSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_current, TagSize);
        aes.Encrypt(nonce, input, output.AsSpan(HeaderSize), output.AsSpan(1 + KeyIdSize + NonceSize, TagSize), AssociatedData(accountId, provider));
        CryptographicOperations.ZeroMemory(input);
        return output;
    }

    /// <summary>Null when the ciphertext is damaged, bound to another row, or made under a key this process no longer has.</summary>
    public string? Decrypt(byte[] ciphertext, string accountId, string provider)
    {
        if (ciphertext.Length < HeaderSize || ciphertext[0] != FormatVersion) return null;
        if (!_byId.TryGetValue(Convert.ToHexString(ciphertext.AsSpan(1, KeyIdSize)), out var key)) return null;
        var plain = new byte[ciphertext.Length - HeaderSize];
        try
        {
            using var aes = new AesGcm(key, TagSize);
            aes.Decrypt(ciphertext.AsSpan(1 + KeyIdSize, NonceSize), ciphertext.AsSpan(HeaderSize), ciphertext.AsSpan(1 + KeyIdSize + NonceSize, TagSize), plain, AssociatedData(accountId, provider));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static byte[] AssociatedData(string accountId, string provider) => Encoding.UTF8.GetBytes(accountId + "\n" + provider);

    private static byte[] KeyId(byte[] key) => SHA256.HashData(key)[..KeyIdSize];

    private static byte[] Decode(string base64, string setting)
    {
        try
        {
            var key = Convert.FromBase64String(base64.Trim());
            if (key.Length == 32) return key;
        }
        catch (FormatException)
        {
        }
        throw new InvalidOperationException($"{setting} must be 32 bytes in base64 (e.g. from 'openssl rand -base64 32').");
    }

    private static byte[] LoadOrCreateKeyFile(IConfiguration configuration)
    {
        var directory = StoreSelector.LocalDirectory(configuration)
            ?? throw new InvalidOperationException("AROUTER_SECRETS_KEY must be set when AROUTER_DATABASE is a PostgreSQL server: every instance needs the same key (e.g. from 'openssl rand -base64 32').");
        var path = Path.Combine(directory, "secrets.key");
        if (File.Exists(path)) return Decode(File.ReadAllText(path), path);

        Directory.CreateDirectory(directory);
        var key = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using var file = new StreamWriter(path, Encoding.ASCII, options);
            file.Write(Convert.ToBase64String(key));
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first: use theirs.
            return Decode(File.ReadAllText(path), path);
        }
    }
}
