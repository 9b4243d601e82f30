using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hygie.Core.Audit;
using Hygie.Core.Errors;

namespace Hygie.Storage.Keys;

/// <summary>
/// The embedded key vault: a JSON keyring file (mode 0600) holding the root keys and the audit signing key, optionally
/// encrypted under a passphrase (PBKDF2-SHA256 → AES-256-GCM). Meant for one machine; production uses PKCS#11.
/// </summary>
public sealed class LocalKeyringVault : IKeyVault
{
    public const string Format = "hygie-keyring/1";
    public const string PassphraseVariable = "HYGIE_KEYRING_PASSPHRASE";
    private const int Pbkdf2Iterations = 310_000;

    private readonly string _path;
    private readonly string? _passphrase;
    private readonly List<RootKey> _roots;
    private readonly ECDsa _signing;
    private readonly DateTimeOffset _signingCreated;
    private readonly Lock _gate = new();

    private LocalKeyringVault(string path, string? passphrase, List<RootKey> roots, ECDsa signing, string signingKeyId, DateTimeOffset signingCreated)
    {
        _path = path; _passphrase = passphrase; _roots = roots; _signing = signing;
        SigningKeyId = signingKeyId; _signingCreated = signingCreated;
        SigningPublicKey = signing.ExportSubjectPublicKeyInfo();
    }

    public string Kind => "local-keyring";
    public string Location => _path;
    public string RootKeyId { get { lock (_gate) return _roots.Single(r => r.Current).Id; } }
    public string SigningKeyId { get; }
    public byte[] SigningPublicKey { get; }

    /// <summary>Creates a new keyring file; refuses to overwrite one.</summary>
    public static LocalKeyringVault Create(string path, string? passphrase, TimeProvider clock)
    {
        if (File.Exists(path))
            throw new HubStateException($"a keyring already exists at {path}: refusing to overwrite it", "keyring-exists");
        var now = clock.GetUtcNow();
        var roots = new List<RootKey> { new(NewId("root"), RandomNumberGenerator.GetBytes(32), now, true) };
        var signing = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var vault = new LocalKeyringVault(path, NullIfEmpty(passphrase), roots, signing, NewId("audit"), now);
        vault.Save();
        return vault;
    }

    /// <summary>
    /// Creates the keyring a migration moves the hub to: a new root key, and the audit signing key of
    /// <paramref name="predecessor"/> when it is a keyring too, so the audit chain stays verifiable with one public key.
    /// A token's audit key never leaves it: moving out of one, the keyring gets a new audit key, and the migration
    /// records the hand-over in the chain (<see cref="Audit.AuditLog.AppendKeyTransitionAsync"/>).
    /// </summary>
    public static LocalKeyringVault CreateSuccessor(string path, string? passphrase, TimeProvider clock, IKeyVault predecessor)
    {
        if (File.Exists(path))
            throw new HubStateException($"a keyring already exists at {path}: refusing to overwrite it", "keyring-exists");
        var now = clock.GetUtcNow();
        var roots = new List<RootKey> { new(NewId("root"), RandomNumberGenerator.GetBytes(32), now, true) };
        LocalKeyringVault vault;
        if (predecessor is LocalKeyringVault keyring)
        {
            var signing = ECDsa.Create();
            signing.ImportPkcs8PrivateKey(keyring._signing.ExportPkcs8PrivateKey(), out _);
            vault = new LocalKeyringVault(path, NullIfEmpty(passphrase), roots, signing, keyring.SigningKeyId, keyring._signingCreated);
        }
        else
        {
            vault = new LocalKeyringVault(path, NullIfEmpty(passphrase), roots, ECDsa.Create(ECCurve.NamedCurves.nistP256), NewId("audit"), now);
        }
        vault.Save();
        return vault;
    }

    /// <summary>The audit signing key's private parameters, for a migration that moves it into a token (which keeps it non-extractable).</summary>
    internal ECParameters ExportSigningKey() => _signing.ExportParameters(includePrivateParameters: true);

    /// <summary>
    /// Crypto-erases a keyring file: its bytes overwritten with random ones and flushed, then the file removed, so the
    /// root keys in it — and everything they wrapped — are gone. Returns false when there was no file.
    /// </summary>
    public static bool Destroy(string path)
    {
        if (!File.Exists(path)) return false;
        var length = new FileInfo(path).Length;
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            f.Write(RandomNumberGenerator.GetBytes((int)Math.Max(length, 1)));
            f.Flush(flushToDisk: true);
        }
        File.Delete(path);
        return true;
    }

    /// <summary>Opens a keyring; a clear error for a missing, corrupted or wrongly unlocked file.</summary>
    public static LocalKeyringVault Open(string path, string? passphrase)
    {
        if (!File.Exists(path))
            throw new HubStateException($"no keyring at {path}: run 'hygie init' or point --data at an existing hub", "keyring-missing");
        JsonObject file;
        try { file = JsonNode.Parse(File.ReadAllText(path))!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            throw Corrupted(path, "not valid JSON");
        }
        if ((string?)file["format"] != Format) throw Corrupted(path, "unknown format");

        byte[] payload;
        try
        {
            var protection = (string?)file["protection"];
            if (protection == "passphrase")
            {
                if (string.IsNullOrEmpty(passphrase))
                    throw new HubStateException($"the keyring at {path} is protected by a passphrase: set {PassphraseVariable}", "keyring-locked");
                var salt = Convert.FromBase64String((string)file["salt"]!);
                var iterations = (int)file["iterations"]!;
                var kek = Rfc2898DeriveBytes.Pbkdf2(passphrase, salt, iterations, HashAlgorithmName.SHA256, 32);
                var nonce = Convert.FromBase64String((string)file["nonce"]!);
                var sealedPayload = Convert.FromBase64String((string)file["payload"]!);
                payload = new byte[sealedPayload.Length - 16];
                try
                {
                    using var gcm = new AesGcm(kek, 16);
                    gcm.Decrypt(nonce, sealedPayload.AsSpan(0, payload.Length), sealedPayload.AsSpan(payload.Length), payload, Encoding.UTF8.GetBytes(Format));
                }
                catch (AuthenticationTagMismatchException)
                {
                    throw new HubStateException($"wrong passphrase for the keyring at {path} (or the file was altered): check {PassphraseVariable}", "keyring-passphrase");
                }
            }
            else if (protection == "none")
            {
                payload = Convert.FromBase64String((string)file["payload"]!);
                var digest = Convert.FromBase64String((string)file["digest"]!);
                if (!SHA256.HashData(payload).AsSpan().SequenceEqual(digest)) throw Corrupted(path, "its checksum does not match");
            }
            else throw Corrupted(path, "unknown protection");
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            throw Corrupted(path, "a field is missing or malformed");
        }

        try
        {
            var body = JsonNode.Parse(payload)!.AsObject();
            var roots = body["roots"]!.AsArray().Select(n => new RootKey(
                (string)n!["id"]!, Convert.FromBase64String((string)n["key"]!), DateTimeOffset.Parse((string)n["created"]!), (bool)n["current"]!)).ToList();
            var s = body["signing"]!;
            var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(Convert.FromBase64String((string)s["pkcs8"]!), out _);
            if (roots.Count(r => r.Current) != 1 || roots.Any(r => r.Key.Length != 32)) throw Corrupted(path, "its root keys are inconsistent");
            return new LocalKeyringVault(path, NullIfEmpty(passphrase), roots, ecdsa, (string)s["id"]!, DateTimeOffset.Parse((string)s["created"]!));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException or CryptographicException)
        {
            throw Corrupted(path, "its key material does not parse");
        }
    }

    public byte[] WrapKey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> context, string? rootKeyId = null)
    {
        var root = Root(rootKeyId ?? RootKeyId);
        return KeyWrap.Wrap(root.Key, key, context);
    }

    public byte[] UnwrapKey(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> context, string rootKeyId) =>
        KeyWrap.Unwrap(Root(rootKeyId).Key, wrapped, context, $"root key {rootKeyId}");

    public string CreateRootKey()
    {
        lock (_gate)
        {
            var id = NewId("root");
            for (var i = 0; i < _roots.Count; i++) _roots[i] = _roots[i] with { Current = false };
            _roots.Add(new RootKey(id, RandomNumberGenerator.GetBytes(32), DateTimeOffset.UtcNow, true));
            Save();
            return id;
        }
    }

    public byte[] SignDigest(ReadOnlySpan<byte> sha256Digest) => _signing.SignHash(sha256Digest);

    public IReadOnlyList<VaultKeyInfo> ListKeys()
    {
        lock (_gate)
        {
            var list = _roots.Select(r => new VaultKeyInfo(r.Id, "root", "AES-256", r.Created, r.Current, true)).ToList();
            list.Add(new VaultKeyInfo(SigningKeyId, "audit-signing", "ECDSA P-256", _signingCreated, true, true));
            return list;
        }
    }

    public void Dispose()
    {
        lock (_gate) foreach (var r in _roots) CryptographicOperations.ZeroMemory(r.Key);
        _signing.Dispose();
    }

    private RootKey Root(string id)
    {
        lock (_gate)
            return _roots.FirstOrDefault(r => r.Id == id)
                   ?? throw new IntegrityException($"root key {id} is not in the keyring at {_path}: this data was wrapped by another vault", "unknown-root-key");
    }

    private void Save()
    {
        var body = new JsonObject
        {
            ["roots"] = new JsonArray(_roots.Select(r => (JsonNode)new JsonObject
            {
                ["id"] = r.Id, ["key"] = Convert.ToBase64String(r.Key), ["created"] = r.Created.ToString("O"), ["current"] = r.Current,
            }).ToArray()),
            ["signing"] = new JsonObject
            {
                ["id"] = SigningKeyId, ["created"] = _signingCreated.ToString("O"),
                ["pkcs8"] = Convert.ToBase64String(_signing.ExportPkcs8PrivateKey()),
            },
        };
        var payload = Encoding.UTF8.GetBytes(body.ToJsonString());
        var file = new JsonObject { ["format"] = Format };
        if (_passphrase is null)
        {
            file["protection"] = "none";
            file["payload"] = Convert.ToBase64String(payload);
            file["digest"] = Convert.ToBase64String(SHA256.HashData(payload));
        }
        else
        {
            var salt = RandomNumberGenerator.GetBytes(16);
            var nonce = RandomNumberGenerator.GetBytes(12);
            var kek = Rfc2898DeriveBytes.Pbkdf2(_passphrase, salt, Pbkdf2Iterations, HashAlgorithmName.SHA256, 32);
            var sealedPayload = new byte[payload.Length + 16];
            using (var gcm = new AesGcm(kek, 16))
                gcm.Encrypt(nonce, payload, sealedPayload.AsSpan(0, payload.Length), sealedPayload.AsSpan(payload.Length), Encoding.UTF8.GetBytes(Format));
            file["protection"] = "passphrase";
            file["kdf"] = "pbkdf2-sha256";
            file["iterations"] = Pbkdf2Iterations;
            file["salt"] = Convert.ToBase64String(salt);
            file["nonce"] = Convert.ToBase64String(nonce);
            file["payload"] = Convert.ToBase64String(sealedPayload);
        }
        CryptographicOperations.ZeroMemory(payload);

        // Atomic replace, readable by the owner only.
        var temp = _path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(file.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
            stream.Flush(true);
        }
        File.Move(temp, _path, overwrite: true);
    }

    private static HubStateException Corrupted(string path, string why) =>
        new($"the keyring at {path} is corrupted ({why}): restore it from a backup", "keyring-corrupted");

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    internal static string NewId(string prefix) => $"{prefix}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}";

    private sealed record RootKey(string Id, byte[] Key, DateTimeOffset Created, bool Current);
}
