using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Keys;

namespace Hygie.Storage.Operations.Backup;

/// <summary>
/// <c>backups/&lt;id&gt;/manifest.json</c>: what one backup holds and how to check it — every entry (path, size,
/// SHA-256 of the stored bytes), their Merkle root, the backup key wrapped by the vault's root key, the schema
/// versions and the tables in restore order — signed with the vault's audit key over its canonical JSON.
/// </summary>
public sealed record BackupManifest
{
    public const string CurrentFormat = "hygie-backup/1";

    public string Format { get; init; } = CurrentFormat;
    public required string Id { get; init; }
    public required string HubId { get; init; }
    public required DateTimeOffset HubCreatedAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string? Previous { get; init; }
    public required string Location { get; init; }

    /// <summary>The location names of the hub's stores when the backup was taken, by kind.</summary>
    public required IReadOnlyDictionary<string, string> Stores { get; init; }

    public required BackupKey Key { get; init; }
    public required IReadOnlyDictionary<string, int> Schema { get; init; }
    public required IReadOnlyList<BackupTable> Tables { get; init; }
    public required BackupAudit Audit { get; init; }
    public required IReadOnlyList<BackupEntry> Entries { get; init; }
    public required string MerkleRoot { get; init; }
    public required BackupStats Stats { get; init; }
    public BackupSignature? Signature { get; init; }

    public static string PathOf(string backupId) => $"backups/{backupId}/manifest.json";
    public static string TablePath(string backupId, string table) => $"backups/{backupId}/metadata/{table.ToLowerInvariant()}.jsonl.sealed";
    public static string ObjectPath(string sha256) => $"backups/objects/{sha256[..2]}/{sha256}";

    /// <summary>Binds the backup key to this backup when it is wrapped by the vault's root key.</summary>
    public static byte[] KeyContext(string backupId) => Encoding.UTF8.GetBytes("hygie-backup-key:" + backupId);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Signs the manifest's canonical JSON (without its signature) with the vault's audit key.</summary>
    public BackupManifest Sign(IKeyVault vault)
    {
        var digest = Digest(JsonSerializer.SerializeToUtf8Bytes(this with { Signature = null }, Json));
        return this with
        {
            Signature = new BackupSignature(vault.SigningKeyId, Convert.ToBase64String(vault.SigningPublicKey),
                Convert.ToBase64String(vault.SignDigest(digest)), AuditChain.Fingerprint(vault.SigningPublicKey)),
        };
    }

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>
    /// Parses a manifest and checks its signature with the key it names (integrity); the caller checks that key is
    /// the one it trusts (its vault's).
    /// </summary>
    public static BackupManifest ParseVerified(byte[] bytes, string where)
    {
        BackupManifest? manifest;
        byte[] digest;
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            digest = CanonicalJson.Digest(doc.RootElement, except: "signature");
            manifest = doc.RootElement.Deserialize<BackupManifest>(Json);
        }
        catch (JsonException e)
        {
            throw new IntegrityException($"{where} is not a valid backup manifest: {e.Message}", "backup-manifest");
        }
        if (manifest is null || manifest.Format != CurrentFormat)
            throw new IntegrityException($"{where} has format '{manifest?.Format}', which this hygie does not know (expected {CurrentFormat})", "backup-manifest");
        if (manifest.Signature is null)
            throw new IntegrityException($"{where} is not signed: refusing it", "backup-signature");
        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(Convert.FromBase64String(manifest.Signature.PublicKey), out _);
            if (!ecdsa.VerifyHash(digest, Convert.FromBase64String(manifest.Signature.Value)))
                throw new IntegrityException($"{where}: the manifest's signature does not match its content — it was altered after the backup was made", "backup-signature");
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            throw new IntegrityException($"{where}: the manifest's signature or public key is malformed", "backup-signature");
        }
        return manifest;
    }

    private static byte[] Digest(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        return CanonicalJson.Digest(doc.RootElement, except: "signature");
    }
}

/// <param name="Wrapped">the backup key wrapped by root key <paramref name="RootKeyId"/> (base64); never the key itself.</param>
public sealed record BackupKey(string Id, string RootKeyId, string Wrapped);

/// <param name="Path">where the table's sealed JSON lines are in the backup location.</param>
public sealed record BackupTable(string Name, string Path, long Rows, IReadOnlyList<string> Columns);

public sealed record BackupAudit(long LastSeq, string LastHash);

/// <param name="Kind"><c>table</c> or <c>object</c>.</param>
/// <param name="ObjectKey">for an object: its key in the hub's object store.</param>
public sealed record BackupEntry(string Path, long Size, string Sha256, string Kind, string? ObjectKey = null);

public sealed record BackupStats(long Objects, long ObjectsCopied, long BytesCopied, long ObjectBytes);

/// <param name="PublicKey">the audit signing key's public half, SubjectPublicKeyInfo DER, base64.</param>
public sealed record BackupSignature(string KeyId, string PublicKey, string Value, string Fingerprint);
