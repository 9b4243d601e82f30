using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Hygie.Core.Errors;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Hygie.Storage.Keys;

/// <summary>
/// The production key vault: keys in a PKCS#11 token (an HSM; SoftHSM2 in tests) that never leave it.
/// <list type="bullet">
/// <item>Root keys: AES-256 token objects, sensitive and non-extractable, labelled <c>{KeyLabel}:root</c>, with the key id
/// (<c>root-{created}-{random}</c>) as CKA_ID. The newest one is the current one, so a rotation is a single key
/// generation in the token: nothing to relabel, no state in between.</item>
/// <item>Wrapping: CKM_AES_GCM inside the token over the key bytes, the context as additional authenticated data, a
/// random 96-bit nonce; the output is <c>nonce(12) ‖ ciphertext ‖ tag(16)</c>, the format of <see cref="KeyWrap"/>.</item>
/// <item>Audit signing: an EC P-256 key pair labelled <c>{KeyLabel}:audit</c>; CKM_ECDSA over the SHA-256 digest gives
/// r‖s (IEEE P1363); the public key is exported as SubjectPublicKeyInfo built from CKA_EC_POINT.</item>
/// </list>
/// </summary>
public sealed partial class Pkcs11KeyVault : IKeyVault
{
    /// <summary>DER of the OID of NIST P-256 (prime256v1, 1.2.840.10045.3.1.7), the CKA_EC_PARAMS of the signing key.</summary>
    private static readonly byte[] P256Params = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    private const string TimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";

    private readonly Pkcs11VaultOptions _options;
    private readonly Pkcs11Module _module;
    private readonly Pkcs11Module.TokenLogin _login;
    private readonly ISlot _slot;
    private readonly ConcurrentBag<ISession> _sessions = [];
    private readonly Lock _gate = new();
    private List<RootKey> _roots;
    private readonly SigningKey _signing;
    private bool _disposed;

    private Pkcs11KeyVault(Pkcs11VaultOptions options, Pkcs11Module module, ISlot slot, Pkcs11Module.TokenLogin login)
    {
        _options = options; _module = module; _slot = slot; _login = login;
        Location = $"token '{options.TokenLabel}'{(options.KeyLabel == "hygie" ? "" : $" (keys '{options.KeyLabel}')")} via {options.LibraryPath}";
        _roots = WithSession(ScanRoots);
        var signing = WithSession(ScanSigningKey);
        if (_roots.Count == 0 || signing is null)
        {
            DisposeSessions();
            throw new HubStateException(
                $"token '{options.TokenLabel}' holds no hygie keys labelled '{options.KeyLabel}': initialize the vault in this token first, or fix the key label",
                "vault-empty");
        }
        _signing = signing;
        SigningPublicKey = signing.PublicKey;
    }

    public string Kind => "pkcs11";
    public string Location { get; }

    public string RootKeyId
    {
        get
        {
            lock (_gate) return _roots[^1].Id;
        }
    }

    public string SigningKeyId => _signing.Id;
    public byte[] SigningPublicKey { get; }

    /// <summary>Creates the hub's keys (a root key and the audit signing pair) in a token that holds none under this key label.</summary>
    public static Pkcs11KeyVault Initialize(Pkcs11VaultOptions options, TimeProvider clock) => Create(options, clock, null);

    /// <summary>
    /// Creates the keys a migration moves the hub to, in a token that holds none under this key label: a new root key
    /// (non-extractable, as always), and the audit key of <paramref name="predecessor"/> when it is a keyring, imported
    /// as a sensitive, non-extractable token object so the chain keeps one public key. Another token's audit key never
    /// leaves that token: a new pair is generated here, and the migration records the hand-over in the chain.
    /// </summary>
    public static Pkcs11KeyVault CreateSuccessor(Pkcs11VaultOptions options, TimeProvider clock, IKeyVault predecessor)
    {
        if (predecessor is not LocalKeyringVault keyring) return Create(options, clock, null);
        var parameters = keyring.ExportSigningKey();
        try
        {
            return Create(options, clock, parameters);
        }
        finally
        {
            if (parameters.D is { } d) CryptographicOperations.ZeroMemory(d);
        }
    }

    /// <summary>
    /// Crypto-erases this hub's keys in a token: every root key and the audit key pair under the key label are
    /// destroyed (C_DestroyObject), so what they wrapped can never be unwrapped again. Returns how many objects went.
    /// </summary>
    public static int DestroyKeys(Pkcs11VaultOptions options)
    {
        CheckKeyLabel(options.KeyLabel);
        var (module, slot, login) = Connect(options);
        try
        {
            using var session = slot.OpenSession(SessionType.ReadWrite);
            lock (module.ObjectChanges)
            {
                var objects = FindObjects(session, CKO.CKO_SECRET_KEY, RootLabel(options))
                    .Concat(FindObjects(session, CKO.CKO_PRIVATE_KEY, AuditLabel(options)))
                    .Concat(FindObjects(session, CKO.CKO_PUBLIC_KEY, AuditLabel(options))).ToList();
                foreach (var handle in objects) session.DestroyObject(handle);
                return objects.Count;
            }
        }
        catch (Pkcs11Exception e)
        {
            throw new HubStateException($"token '{options.TokenLabel}' could not destroy the keys labelled '{options.KeyLabel}' ({e.RV})", "vault-error", e);
        }
        finally
        {
            login.Release();
            module.Release();
        }
    }

    private static Pkcs11KeyVault Create(Pkcs11VaultOptions options, TimeProvider clock, ECParameters? signingKey)
    {
        CheckKeyLabel(options.KeyLabel);
        var (module, slot, login) = Connect(options);
        try
        {
            var factories = module.Factories;
            using (var session = slot.OpenSession(SessionType.ReadWrite))
            lock (module.ObjectChanges)
            {
                if (FindObjects(session, CKO.CKO_SECRET_KEY, RootLabel(options)).Count > 0 || FindObjects(session, CKO.CKO_PRIVATE_KEY, AuditLabel(options)).Count > 0)
                    throw new HubStateException(
                        $"token '{options.TokenLabel}' already holds hygie keys labelled '{options.KeyLabel}': refusing to create them again (open the vault instead, or choose another key label)",
                        "vault-exists");
                var now = clock.GetUtcNow();
                var root = GenerateRootKey(factories, session, options, NewId("root", now));
                try
                {
                    if (signingKey is { } imported) ImportSigningKey(factories, session, options, NewId("audit", now), imported);
                    else GenerateSigningKey(factories, session, options, NewId("audit", now));
                }
                catch
                {
                    try { session.DestroyObject(root); } catch (Pkcs11Exception) { }
                    throw;
                }
            }
            return new Pkcs11KeyVault(options, module, slot, login);
        }
        catch (Pkcs11Exception e)
        {
            login.Release();
            module.Release();
            throw new HubStateException($"token '{options.TokenLabel}' could not create the hub's keys ({e.RV}): is it writable and has it room?", "vault-error", e);
        }
        catch
        {
            login.Release();
            module.Release();
            throw;
        }
    }

    /// <summary>Opens the hub's keys in the token; a clear error for a missing library or token, a wrong PIN or missing keys.</summary>
    public static Pkcs11KeyVault Open(Pkcs11VaultOptions options)
    {
        CheckKeyLabel(options.KeyLabel);
        var (module, slot, login) = Connect(options);
        try
        {
            return new Pkcs11KeyVault(options, module, slot, login);
        }
        catch
        {
            login.Release();
            module.Release();
            throw;
        }
    }

    public byte[] WrapKey(ReadOnlySpan<byte> key, ReadOnlySpan<byte> context, string? rootKeyId = null)
    {
        var root = Root(rootKeyId ?? RootKeyId);
        var output = new byte[12 + key.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        var nonce = output[..12];
        var plain = key.ToArray();
        var aad = context.ToArray();
        try
        {
            var sealedKey = WithSession(session =>
            {
                using var parameters = _module.Factories.MechanismParamsFactory.CreateCkGcmParams(nonce, 96, aad, 128);
                using var mechanism = _module.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM, parameters);
                return session.Encrypt(mechanism, root.Handle, plain);
            });
            if (sealedKey.Length != key.Length + 16)
                throw new HubStateException($"token '{_options.TokenLabel}' returned {sealedKey.Length} bytes for an AES-GCM wrap of {key.Length}", "vault-error");
            sealedKey.CopyTo(output, 12);
            return output;
        }
        catch (Pkcs11Exception e)
        {
            throw TokenFailure(e, "wrap a key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    public byte[] UnwrapKey(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> context, string rootKeyId)
    {
        if (wrapped.Length < 12 + 16)
            throw new IntegrityException($"a wrapped key is too short to be valid (root key {rootKeyId})", "key-unwrap");
        var root = Root(rootKeyId);
        var nonce = wrapped[..12].ToArray();
        var body = wrapped[12..].ToArray();
        var aad = context.ToArray();
        try
        {
            return WithSession(session =>
            {
                using var parameters = _module.Factories.MechanismParamsFactory.CreateCkGcmParams(nonce, 96, aad, 128);
                using var mechanism = _module.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM, parameters);
                return session.Decrypt(mechanism, root.Handle, body);
            });
        }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_ENCRYPTED_DATA_INVALID or CKR.CKR_ENCRYPTED_DATA_LEN_RANGE or CKR.CKR_GENERAL_ERROR
                                            or CKR.CKR_FUNCTION_FAILED or CKR.CKR_DATA_INVALID)
        {
            throw new IntegrityException($"a key does not unwrap under root key {rootKeyId}: wrong key, or the wrapped key was altered", "key-unwrap", e);
        }
        catch (Pkcs11Exception e)
        {
            throw TokenFailure(e, "unwrap a key");
        }
    }

    public string CreateRootKey()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // The newest root is the current one: make sure the new id sorts after every existing one.
            var now = DateTimeOffset.UtcNow;
            var latest = _roots.Count == 0 ? DateTimeOffset.MinValue : _roots[^1].Created;
            if (now <= latest) now = latest.AddMilliseconds(1);
            var id = NewId("root", now);
            try
            {
                WithSession(session => { lock (_module.ObjectChanges) GenerateRootKey(_module.Factories, session, _options, id); });
            }
            catch (Pkcs11Exception e)
            {
                throw TokenFailure(e, "create a root key");
            }
            _roots = WithSession(ScanRoots);
            if (_roots[^1].Id != id)
                throw new HubStateException($"token '{_options.TokenLabel}' did not keep the new root key {id}", "vault-error");
            return id;
        }
    }

    public byte[] SignDigest(ReadOnlySpan<byte> sha256Digest)
    {
        if (sha256Digest.Length != 32) throw new ArgumentException("a SHA-256 digest is 32 bytes", nameof(sha256Digest));
        var digest = sha256Digest.ToArray();
        try
        {
            var signature = WithSession(session =>
            {
                using var mechanism = _module.Factories.MechanismFactory.Create(CKM.CKM_ECDSA);
                return session.Sign(mechanism, _signing.Handle, digest);
            });
            if (signature.Length != 64)
                throw new HubStateException($"token '{_options.TokenLabel}' returned a {signature.Length}-byte ECDSA signature (expected r‖s, 64 bytes)", "vault-error");
            return signature;
        }
        catch (Pkcs11Exception e)
        {
            throw TokenFailure(e, "sign");
        }
    }

    public IReadOnlyList<VaultKeyInfo> ListKeys()
    {
        lock (_gate)
        {
            var list = _roots.Select((r, i) => new VaultKeyInfo(r.Id, "root", "AES-256", r.Created, i == _roots.Count - 1, r.Extractable)).ToList();
            list.Add(new VaultKeyInfo(_signing.Id, "audit-signing", "ECDSA P-256", _signing.Created, true, _signing.Extractable));
            return list;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        DisposeSessions();
        _login.Release();
        _module.Release();
    }

    private void DisposeSessions()
    {
        while (_sessions.TryTake(out var session))
        {
            try { session.Dispose(); } catch (Pkcs11Exception) { }
        }
    }

    private RootKey Root(string id)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var root = _roots.FirstOrDefault(r => r.Id == id);
            if (root is not null) return root;
            // Another process may have rotated the key since this vault was opened.
            _roots = WithSession(ScanRoots);
            return _roots.FirstOrDefault(r => r.Id == id)
                   ?? throw new IntegrityException($"root key {id} is not in {Location}: this data was wrapped by another vault", "unknown-root-key");
        }
    }

    /// <summary>Runs <paramref name="work"/> on a pooled session (PKCS#11 sessions are not for concurrent use).</summary>
    private T WithSession<T>(Func<ISession, T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_sessions.TryTake(out var session))
        {
            try { session = _slot.OpenSession(SessionType.ReadWrite); }
            catch (Pkcs11Exception e) { throw TokenFailure(e, "open a session"); }
        }
        var healthy = true;
        try
        {
            return work(session);
        }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_SESSION_HANDLE_INVALID or CKR.CKR_SESSION_CLOSED or CKR.CKR_DEVICE_REMOVED
                                            or CKR.CKR_TOKEN_NOT_PRESENT or CKR.CKR_DEVICE_ERROR)
        {
            healthy = false;
            throw;
        }
        finally
        {
            if (healthy && !_disposed) _sessions.Add(session);
            else try { session.Dispose(); } catch (Pkcs11Exception) { }
        }
    }

    private void WithSession(Action<ISession> work) => WithSession<int>(s => { work(s); return 0; });

    private List<RootKey> ScanRoots(ISession session)
    {
        lock (_module.ObjectChanges) return ScanRootsLocked(session);
    }

    private List<RootKey> ScanRootsLocked(ISession session)
    {
        var roots = new List<RootKey>();
        foreach (var handle in FindObjects(session, CKO.CKO_SECRET_KEY, RootLabel(_options)))
        {
            var attributes = session.GetAttributeValue(handle, [CKA.CKA_ID, CKA.CKA_EXTRACTABLE]);
            var id = Encoding.UTF8.GetString(attributes[0].GetValueAsByteArray() ?? []);
            if (ParseCreated(id) is not { } created) continue;
            roots.Add(new RootKey(id, created, handle, attributes[1].GetValueAsBool()));
        }
        roots.Sort((a, b) => a.Created != b.Created ? a.Created.CompareTo(b.Created) : string.CompareOrdinal(a.Id, b.Id));
        return roots;
    }

    private SigningKey? ScanSigningKey(ISession session)
    {
        lock (_module.ObjectChanges) return ScanSigningKeyLocked(session);
    }

    private SigningKey? ScanSigningKeyLocked(ISession session)
    {
        SigningKey? newest = null;
        foreach (var handle in FindObjects(session, CKO.CKO_PRIVATE_KEY, AuditLabel(_options)))
        {
            var attributes = session.GetAttributeValue(handle, [CKA.CKA_ID, CKA.CKA_EXTRACTABLE]);
            var idBytes = attributes[0].GetValueAsByteArray() ?? [];
            var id = Encoding.UTF8.GetString(idBytes);
            if (ParseCreated(id) is not { } created || (newest is not null && created <= newest.Created)) continue;
            var publicKeys = FindObjects(session, CKO.CKO_PUBLIC_KEY, AuditLabel(_options), idBytes);
            if (publicKeys.Count == 0)
                throw new HubStateException($"the public half of audit key {id} is missing from token '{_options.TokenLabel}'", "vault-corrupted");
            var point = session.GetAttributeValue(publicKeys[0], [CKA.CKA_EC_POINT])[0].GetValueAsByteArray() ?? [];
            newest = new SigningKey(id, created, handle, SubjectPublicKeyInfo(point, id)) { Extractable = attributes[1].GetValueAsBool() };
        }
        return newest;
    }

    /// <summary>SubjectPublicKeyInfo DER from CKA_EC_POINT: an uncompressed point, raw or (per the standard) in a DER OCTET STRING.</summary>
    private byte[] SubjectPublicKeyInfo(byte[] ecPoint, string id)
    {
        var point = ecPoint switch
        {
            [0x04, 0x41, 0x04, ..] when ecPoint.Length == 67 => ecPoint[2..],
            [0x04, ..] when ecPoint.Length == 65 => ecPoint,
            _ => throw new HubStateException($"the audit key {id} in token '{_options.TokenLabel}' has an EC point this hygie cannot read", "vault-corrupted"),
        };
        using var ecdsa = ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = point[1..33], Y = point[33..65] },
        });
        return ecdsa.ExportSubjectPublicKeyInfo();
    }

    private static (Pkcs11Module Module, ISlot Slot, Pkcs11Module.TokenLogin Login) Connect(Pkcs11VaultOptions options)
    {
        var module = Pkcs11Module.Acquire(options.LibraryPath);
        try
        {
            List<ISlot> slots;
            try { slots = module.Library.GetSlotList(SlotsType.WithTokenPresent); }
            catch (Pkcs11Exception e) { throw new HubStateException($"the PKCS#11 library {options.LibraryPath} cannot list its tokens ({e.RV})", "vault-unavailable", e); }
            var matching = slots.Where(s => s.GetTokenInfo().Label.Trim() == options.TokenLabel).ToList();
            if (matching.Count == 0)
                throw new HubStateException(
                    $"no token labelled '{options.TokenLabel}' in the PKCS#11 library {options.LibraryPath}: check the token label (and, for SoftHSM2, SOFTHSM2_CONF)",
                    "vault-unavailable");
            if (matching.Count > 1)
                throw new HubStateException($"{matching.Count} tokens are labelled '{options.TokenLabel}' in {options.LibraryPath}: give each a distinct label", "vault-unavailable");
            var login = module.Login(matching[0], options.TokenLabel, options.Pin);
            return (module, matching[0], login);
        }
        catch
        {
            module.Release();
            throw;
        }
    }

    private static IObjectHandle GenerateRootKey(Pkcs11InteropFactories factories, ISession session, Pkcs11VaultOptions options, string id)
    {
        var a = factories.ObjectAttributeFactory;
        using var mechanism = factories.MechanismFactory.Create(CKM.CKM_AES_KEY_GEN);
        return session.GenerateKey(mechanism,
        [
            a.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            a.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
            a.Create(CKA.CKA_VALUE_LEN, 32UL),
            a.Create(CKA.CKA_TOKEN, true),
            a.Create(CKA.CKA_PRIVATE, true),
            a.Create(CKA.CKA_SENSITIVE, true),
            a.Create(CKA.CKA_EXTRACTABLE, false),
            a.Create(CKA.CKA_MODIFIABLE, false),
            a.Create(CKA.CKA_ENCRYPT, true),
            a.Create(CKA.CKA_DECRYPT, true),
            a.Create(CKA.CKA_WRAP, false),
            a.Create(CKA.CKA_UNWRAP, false),
            a.Create(CKA.CKA_SIGN, false),
            a.Create(CKA.CKA_VERIFY, false),
            a.Create(CKA.CKA_DERIVE, false),
            a.Create(CKA.CKA_LABEL, RootLabel(options)),
            a.Create(CKA.CKA_ID, Encoding.UTF8.GetBytes(id)),
        ]);
    }

    private static void GenerateSigningKey(Pkcs11InteropFactories factories, ISession session, Pkcs11VaultOptions options, string id)
    {
        var a = factories.ObjectAttributeFactory;
        var idBytes = Encoding.UTF8.GetBytes(id);
        using var mechanism = factories.MechanismFactory.Create(CKM.CKM_EC_KEY_PAIR_GEN);
        session.GenerateKeyPair(mechanism, [.. AuditPublicKey(a, options, idBytes)], [.. AuditPrivateKey(a, options, idBytes)], out _, out _);
    }

    /// <summary>An existing P-256 key as a token key pair: the private half sensitive and non-extractable, as if generated here.</summary>
    private static void ImportSigningKey(Pkcs11InteropFactories factories, ISession session, Pkcs11VaultOptions options, string id, ECParameters key)
    {
        if (key.D is not { Length: 32 } || key.Q.X is not { Length: 32 } || key.Q.Y is not { Length: 32 })
            throw new HubStateException("the audit key to move into the token is not an ECDSA P-256 private key", "vault-error");
        var a = factories.ObjectAttributeFactory;
        var idBytes = Encoding.UTF8.GetBytes(id);
        // CKA_EC_POINT: the uncompressed point in a DER OCTET STRING.
        byte[] point = [0x04, 0x41, 0x04, .. key.Q.X, .. key.Q.Y];
        var @private = session.CreateObject(
        [
            a.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY),
            a.Create(CKA.CKA_KEY_TYPE, CKK.CKK_EC),
            a.Create(CKA.CKA_EC_PARAMS, P256Params),
            a.Create(CKA.CKA_VALUE, key.D),
            .. AuditPrivateKey(a, options, idBytes),
        ]);
        try
        {
            session.CreateObject(
            [
                a.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY),
                a.Create(CKA.CKA_KEY_TYPE, CKK.CKK_EC),
                a.Create(CKA.CKA_EC_POINT, point),
                .. AuditPublicKey(a, options, idBytes),
            ]);
        }
        catch
        {
            try { session.DestroyObject(@private); } catch (Pkcs11Exception) { }
            throw;
        }
    }

    /// <summary>The audit key pair's public half: a token object that verifies only. Generated and imported keys share it.</summary>
    private static IEnumerable<IObjectAttribute> AuditPublicKey(Net.Pkcs11Interop.HighLevelAPI.Factories.IObjectAttributeFactory a, Pkcs11VaultOptions options, byte[] id) =>
    [
        a.Create(CKA.CKA_TOKEN, true),
        a.Create(CKA.CKA_PRIVATE, false),
        a.Create(CKA.CKA_VERIFY, true),
        a.Create(CKA.CKA_ENCRYPT, false),
        a.Create(CKA.CKA_WRAP, false),
        a.Create(CKA.CKA_EC_PARAMS, P256Params),
        a.Create(CKA.CKA_LABEL, AuditLabel(options)),
        a.Create(CKA.CKA_ID, id),
    ];

    /// <summary>The audit key pair's private half: sensitive, never extractable, signs only. Generated and imported keys share it.</summary>
    private static IEnumerable<IObjectAttribute> AuditPrivateKey(Net.Pkcs11Interop.HighLevelAPI.Factories.IObjectAttributeFactory a, Pkcs11VaultOptions options, byte[] id) =>
    [
        a.Create(CKA.CKA_TOKEN, true),
        a.Create(CKA.CKA_PRIVATE, true),
        a.Create(CKA.CKA_SENSITIVE, true),
        a.Create(CKA.CKA_EXTRACTABLE, false),
        a.Create(CKA.CKA_SIGN, true),
        a.Create(CKA.CKA_DECRYPT, false),
        a.Create(CKA.CKA_UNWRAP, false),
        a.Create(CKA.CKA_DERIVE, false),
        a.Create(CKA.CKA_LABEL, AuditLabel(options)),
        a.Create(CKA.CKA_ID, id),
    ];

    private static List<IObjectHandle> FindObjects(ISession session, CKO objectClass, string label, byte[]? id = null)
    {
        var a = session.Factories.ObjectAttributeFactory;
        List<IObjectAttribute> template = [a.Create(CKA.CKA_CLASS, objectClass), a.Create(CKA.CKA_LABEL, label)];
        if (id is not null) template.Add(a.Create(CKA.CKA_ID, id));
        return session.FindAllObjects(template);
    }

    private HubStateException TokenFailure(Pkcs11Exception e, string action) => e.RV switch
    {
        CKR.CKR_USER_NOT_LOGGED_IN => new($"token '{_options.TokenLabel}' is no longer logged in, could not {action}: reopen the vault", "vault-unavailable", e),
        CKR.CKR_TOKEN_NOT_PRESENT or CKR.CKR_DEVICE_REMOVED => new($"token '{_options.TokenLabel}' is gone, could not {action}", "vault-unavailable", e),
        CKR.CKR_MECHANISM_INVALID or CKR.CKR_MECHANISM_PARAM_INVALID =>
            new($"token '{_options.TokenLabel}' does not support the mechanism needed to {action} ({e.RV})", "vault-unsupported", e),
        _ => new($"token '{_options.TokenLabel}' failed to {action} ({e.RV})", "vault-error", e),
    };

    private static string RootLabel(Pkcs11VaultOptions options) => options.KeyLabel + ":root";
    private static string AuditLabel(Pkcs11VaultOptions options) => options.KeyLabel + ":audit";

    private static string NewId(string purpose, DateTimeOffset created) =>
        $"{purpose}-{created.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    private static DateTimeOffset? ParseCreated(string id)
    {
        var parts = id.Split('-');
        return parts.Length == 3 && DateTime.TryParseExact(parts[1], TimeFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var created)
            ? new DateTimeOffset(created, TimeSpan.Zero)
            : null;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex KeyLabelPattern();

    private static void CheckKeyLabel(string label)
    {
        if (!KeyLabelPattern().IsMatch(label))
            throw new HubStateException($"invalid PKCS#11 key label '{label}': use 1 to 64 letters, digits, '.', '_' and '-'", "vault-config");
    }

    private sealed record RootKey(string Id, DateTimeOffset Created, IObjectHandle Handle, bool Extractable);

    private sealed record SigningKey(string Id, DateTimeOffset Created, IObjectHandle Handle, byte[] PublicKey)
    {
        public bool Extractable { get; init; }
    }
}
