using System.Security.Cryptography;
using Hygie.Core.Errors;

namespace Hygie.Storage.Keys;

/// <summary>AES-256-GCM key wrapping: <c>nonce(12) ‖ ciphertext ‖ tag(16)</c>, the context bound as associated data.</summary>
public static class KeyWrap
{
    public static byte[] Wrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> key, ReadOnlySpan<byte> context)
    {
        var output = new byte[12 + key.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var gcm = new AesGcm(kek, 16);
        gcm.Encrypt(output.AsSpan(0, 12), key, output.AsSpan(12, key.Length), output.AsSpan(12 + key.Length), context);
        return output;
    }

    public static byte[] Unwrap(ReadOnlySpan<byte> kek, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> context, string what)
    {
        if (wrapped.Length < 12 + 16)
            throw new IntegrityException($"a wrapped key is too short to be valid ({what})", "key-unwrap");
        var key = new byte[wrapped.Length - 28];
        try
        {
            using var gcm = new AesGcm(kek, 16);
            gcm.Decrypt(wrapped[..12], wrapped.Slice(12, key.Length), wrapped[^16..], key, context);
            return key;
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new IntegrityException($"a key does not unwrap under {what}: wrong key, or the wrapped key was altered", "key-unwrap", e);
        }
    }
}
