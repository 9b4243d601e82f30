using System.Security.Cryptography;
using System.Text;
using Hygie.Core.Errors;

namespace Hygie.Fhir.Storage;

/// <summary>
/// Seals one resource version's JSON in memory, for a BLOB column rather than an object-store file: resources are small
/// (a few hundred bytes to a few kB) and numerous, and one file per version would cost a create, an fsync and a rename
/// each. Format (version 1):
/// <code>
/// 0x01 | keyIdLen u8 | keyId utf8 | salt 16 | ciphertext | tag 16
/// </code>
/// The record key and nonce are HKDF-SHA256(tenant data key, salt, "hygie-fhir-record-v1") — a fresh key per record, so
/// there is no nonce-reuse bound per tenant key — and the associated data binds the record to its
/// <c>tenant/type/id/version</c>: a body copied to another row, version or tenant fails authentication.
/// With sealing switched off (benchmarks only) the record is <c>0x00 | json</c>.
/// </summary>
public static class ResourceSealer
{
    private const byte Sealed = 1, Plain = 0;
    private const int SaltSize = 16, TagSize = 16, NonceSize = 12;
    private static readonly byte[] Info = "hygie-fhir-record-v1"u8.ToArray();

    public static byte[] Seal(ReadOnlySpan<byte> json, string keyId, byte[] key, string context)
    {
        var id = Encoding.UTF8.GetBytes(keyId);
        if (id.Length > 255) throw new ArgumentException("key id too long", nameof(keyId));
        var output = new byte[2 + id.Length + SaltSize + json.Length + TagSize];
        output[0] = Sealed;
        output[1] = (byte)id.Length;
        id.CopyTo(output.AsSpan(2));
        var salt = output.AsSpan(2 + id.Length, SaltSize);
        RandomNumberGenerator.Fill(salt);
        Span<byte> derived = stackalloc byte[32 + NonceSize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key, derived, salt, Info);
        using var aes = new AesGcm(derived[..32], TagSize);
        var body = output.AsSpan(2 + id.Length + SaltSize);
        aes.Encrypt(derived[32..], json, body[..json.Length], body[json.Length..], Encoding.UTF8.GetBytes(context));
        CryptographicOperations.ZeroMemory(derived);
        return output;
    }

    public static byte[] Plaintext(ReadOnlySpan<byte> json)
    {
        var output = new byte[1 + json.Length];
        output[0] = Plain;
        json.CopyTo(output.AsSpan(1));
        return output;
    }

    /// <summary>The key id a sealed record names, or null for a plain one.</summary>
    public static string? KeyIdOf(ReadOnlySpan<byte> record)
    {
        if (record.Length < 1) throw Corrupt("empty record");
        if (record[0] == Plain) return null;
        if (record[0] != Sealed || record.Length < 2 + record[1] + SaltSize + TagSize) throw Corrupt("unknown format");
        return Encoding.UTF8.GetString(record.Slice(2, record[1]));
    }

    /// <summary>The JSON of a record; a sealed record needs its key (from <see cref="KeyIdOf"/>).</summary>
    public static byte[] Open(ReadOnlySpan<byte> record, byte[]? key, string context)
    {
        if (record.Length < 1) throw Corrupt("empty record");
        if (record[0] == Plain) return record[1..].ToArray();
        if (key is null) throw new ArgumentNullException(nameof(key));
        var idLength = record[1];
        var salt = record.Slice(2 + idLength, SaltSize);
        var body = record[(2 + idLength + SaltSize)..];
        var json = new byte[body.Length - TagSize];
        Span<byte> derived = stackalloc byte[32 + NonceSize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, key, derived, salt, Info);
        try
        {
            using var aes = new AesGcm(derived[..32], TagSize);
            aes.Decrypt(derived[32..], body[..json.Length], body[json.Length..], json, Encoding.UTF8.GetBytes(context));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new IntegrityException($"the stored resource {context} failed authentication (tampered, moved or wrong key)", "fhir-record", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(derived);
        }
        return json;
    }

    private static IntegrityException Corrupt(string what) => new($"a stored FHIR resource record is corrupt ({what})", "fhir-record");
}
