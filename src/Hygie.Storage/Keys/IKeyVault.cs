namespace Hygie.Storage.Keys;

/// <summary>
/// Holds the hub's root key and audit signing key. Every other key is wrapped by the root key; in a PKCS#11 vault the
/// root key never leaves the token, so wrapping, unwrapping and signing happen inside it.
/// </summary>
public interface IKeyVault : IDisposable
{
    /// <summary><c>local-keyring</c> or <c>pkcs11</c>.</summary>
    string Kind { get; }

    /// <summary>Where the vault lives (file path, token label), without secrets.</summary>
    string Location { get; }

    /// <summary>The root key that wraps new keys.</summary>
    string RootKeyId { get; }

    /// <summary>Encrypts a key under root key <paramref name="rootKeyId"/> (default: the current one), bound to <paramref name="context"/>.</summary>
    byte[] WrapKey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> context, string? rootKeyId = null);

    /// <summary>Decrypts a wrapped key; throws <see cref="Core.Errors.IntegrityException"/> for a wrong key, context or tampered blob.</summary>
    byte[] UnwrapKey(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> context, string rootKeyId);

    /// <summary>Creates a new root key and makes it the current one (rotation). Returns its id.</summary>
    string CreateRootKey();

    string SigningKeyId { get; }

    /// <summary>The audit signing key's public half, SubjectPublicKeyInfo DER (ECDSA P-256).</summary>
    byte[] SigningPublicKey { get; }

    /// <summary>ECDSA P-256 signature (IEEE P1363, r||s) of a SHA-256 digest.</summary>
    byte[] SignDigest(ReadOnlySpan<byte> sha256Digest);

    IReadOnlyList<VaultKeyInfo> ListKeys();
}

public sealed record VaultKeyInfo(string Id, string Purpose, string Algorithm, DateTimeOffset Created, bool Current, bool Extractable);
