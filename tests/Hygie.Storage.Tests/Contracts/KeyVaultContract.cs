using System.Security.Cryptography;
using System.Text;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Audit;
using Hygie.Storage.Keys;
using Hygie.Storage.Metadata;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Contracts;

/// <summary>
/// What every key vault must do: wrap and unwrap keys bound to a context, refuse what another vault or context wrapped,
/// sign audit digests that .NET's ECDsa verifies with the exported public key, rotate its root key without losing the
/// old ones, and refuse a wrong secret (PIN, passphrase).
/// </summary>
public abstract class KeyVaultContract : IDisposable
{
    private readonly List<IKeyVault> _vaults = [];

    protected TempDirectory Directory { get; } = new("hygie-vault");

    /// <summary>A newly initialized vault of the implementation under test, independent of any other.</summary>
    protected abstract IKeyVault CreateNew();

    /// <summary>The same vault opened again (a second handle, as another process or a restart would have).</summary>
    protected abstract IKeyVault OpenAgain(IKeyVault vault);

    /// <summary>Opens <paramref name="vault"/> with a wrong secret: must throw a <see cref="HubStateException"/>.</summary>
    protected abstract void OpenWithWrongSecret(IKeyVault vault);

    protected IKeyVault Track(IKeyVault vault)
    {
        _vaults.Add(vault);
        return vault;
    }

    private IKeyVault NewVault() => Track(CreateNew());
    private IKeyVault Reopen(IKeyVault vault) => Track(OpenAgain(vault));

    public void Dispose()
    {
        foreach (var vault in _vaults) vault.Dispose();
        Directory.Dispose();
        GC.SuppressFinalize(this);
    }

    [ContractFact]
    public void Wrapped_keys_unwrap_with_their_context()
    {
        var vault = NewVault();
        foreach (var length in new[] { 16, 32, 64 })
        {
            var key = RandomNumberGenerator.GetBytes(length);
            var wrapped = vault.WrapKey(key, "hygie-key:dataset-1"u8);
            Assert.Equal(12 + length + 16, wrapped.Length); // nonce ‖ ciphertext ‖ tag
            Assert.True(wrapped.AsSpan().IndexOf(key.AsSpan(0, 16)) < 0, "the key must not appear in clear");
            Assert.NotEqual(wrapped, vault.WrapKey(key, "hygie-key:dataset-1"u8)); // a fresh nonce each time
            Assert.Equal(key, vault.UnwrapKey(wrapped, "hygie-key:dataset-1"u8, vault.RootKeyId));
        }
        var withoutContext = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(withoutContext, vault.UnwrapKey(vault.WrapKey(withoutContext, []), [], vault.RootKeyId));
        Assert.Equal(vault.RootKeyId, vault.ListKeys().Single(k => k.Purpose == "root" && k.Current).Id);
    }

    [ContractFact]
    public void A_wrong_context_or_an_altered_blob_is_refused()
    {
        var vault = NewVault();
        var key = RandomNumberGenerator.GetBytes(32);
        var wrapped = vault.WrapKey(key, "hygie-key:a"u8);
        Assert.Throws<IntegrityException>(() => vault.UnwrapKey(wrapped, "hygie-key:b"u8, vault.RootKeyId));
        Assert.Throws<IntegrityException>(() => vault.UnwrapKey(wrapped, ""u8, vault.RootKeyId));
        foreach (var position in new[] { 0, 11, 12, 12 + 31, wrapped.Length - 1 }) // nonce, ciphertext, tag
        {
            var altered = (byte[])wrapped.Clone();
            altered[position] ^= 0x01;
            Assert.Throws<IntegrityException>(() => vault.UnwrapKey(altered, "hygie-key:a"u8, vault.RootKeyId));
        }
        Assert.Throws<IntegrityException>(() => vault.UnwrapKey(wrapped.AsSpan(0, 20), "hygie-key:a"u8, vault.RootKeyId));
        Assert.Throws<IntegrityException>(() => vault.UnwrapKey(wrapped.AsSpan(0, wrapped.Length - 1), "hygie-key:a"u8, vault.RootKeyId));
        Assert.Equal(key, vault.UnwrapKey(wrapped, "hygie-key:a"u8, vault.RootKeyId));
    }

    [ContractFact]
    public void A_key_wrapped_by_another_vault_is_refused()
    {
        var mine = NewVault();
        var theirs = NewVault();
        Assert.NotEqual(mine.RootKeyId, theirs.RootKeyId);
        var wrapped = theirs.WrapKey(RandomNumberGenerator.GetBytes(32), "hygie-key:x"u8);

        var unknownRoot = Assert.Throws<IntegrityException>(() => mine.UnwrapKey(wrapped, "hygie-key:x"u8, theirs.RootKeyId));
        Assert.Contains(theirs.RootKeyId, unknownRoot.Message);
        // Presented as if it were ours: the authentication tag does not match our root key.
        Assert.Throws<IntegrityException>(() => mine.UnwrapKey(wrapped, "hygie-key:x"u8, mine.RootKeyId));
    }

    [ContractFact]
    public void Signatures_verify_with_the_exported_public_key()
    {
        var vault = NewVault();
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(vault.SigningPublicKey, out var read);
        Assert.Equal(vault.SigningPublicKey.Length, read);
        Assert.Equal(256, ecdsa.KeySize);

        var digest = SHA256.HashData("checkpoint 1000"u8);
        var signature = vault.SignDigest(digest);
        Assert.Equal(64, signature.Length); // r ‖ s (IEEE P1363)
        Assert.True(ecdsa.VerifyHash(digest, signature));
        Assert.False(ecdsa.VerifyHash(SHA256.HashData("checkpoint 1001"u8), signature));

        var again = Reopen(vault);
        Assert.Equal(vault.SigningKeyId, again.SigningKeyId);
        Assert.Equal(vault.SigningPublicKey, again.SigningPublicKey);
        Assert.True(ecdsa.VerifyHash(digest, again.SignDigest(digest)));

        var signing = vault.ListKeys().Single(k => k.Purpose == "audit-signing");
        Assert.Equal(vault.SigningKeyId, signing.Id);
        Assert.Equal("ECDSA P-256", signing.Algorithm);
    }

    [ContractFact]
    public void Rotation_makes_a_new_current_root_and_keeps_the_old_ones()
    {
        var vault = NewVault();
        var first = vault.RootKeyId;
        var key = RandomNumberGenerator.GetBytes(32);
        var underFirst = vault.WrapKey(key, "hygie-key:k"u8);

        var second = vault.CreateRootKey();
        Assert.NotEqual(first, second);
        Assert.Equal(second, vault.RootKeyId);
        Assert.Equal(key, vault.UnwrapKey(underFirst, "hygie-key:k"u8, first));
        var underSecond = vault.WrapKey(key, "hygie-key:k"u8);
        Assert.Equal(key, vault.UnwrapKey(underSecond, "hygie-key:k"u8, second));
        Assert.Throws<IntegrityException>(() => vault.UnwrapKey(underSecond, "hygie-key:k"u8, first));
        Assert.Equal(key, vault.UnwrapKey(vault.WrapKey(key, "hygie-key:k"u8, first), "hygie-key:k"u8, first));

        var third = vault.CreateRootKey();
        var again = Reopen(vault);
        Assert.Equal(third, again.RootKeyId);
        Assert.Equal(key, again.UnwrapKey(underFirst, "hygie-key:k"u8, first));
        Assert.Equal(key, again.UnwrapKey(underSecond, "hygie-key:k"u8, second));
        var roots = again.ListKeys().Where(k => k.Purpose == "root").ToList();
        Assert.Equal(new[] { first, second, third }.Order(StringComparer.Ordinal), roots.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.Equal(3, roots.Count);
        Assert.Equal(third, roots.Single(r => r.Current).Id);
    }

    [ContractFact]
    public void A_wrong_secret_is_refused()
    {
        var vault = NewVault();
        OpenWithWrongSecret(vault);
        // The vault itself is unharmed.
        var key = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(key, vault.UnwrapKey(vault.WrapKey(key, "c"u8), "c"u8, vault.RootKeyId));
    }

    [ContractFact]
    public async Task The_audit_log_signed_by_the_vault_verifies_offline()
    {
        var vault = NewVault();
        await using var metadata = new SqliteMetadataStore(Directory.Combine("metadata.db"));
        await MigrationRunner.ApplyAsync(metadata, Hub.Hub.StorageMigrations, TimeProvider.System);
        await using (var log = new AuditLog(metadata, vault, TimeProvider.System, "hub-vault", checkpointEvery: 100))
        {
            foreach (var batch in Enumerable.Range(0, 250).Select(i => new AuditEntry("u", "a.b", $"t{i}")).Chunk(50))
                await log.AppendManyAsync(batch);
            using var export = new MemoryStream();
            await log.ExportAsync(export);
            var result = AuditExportVerifier.Verify(new MemoryStream(export.ToArray()), vault.SigningPublicKey);
            Assert.True(result.Intact, result.Problem);
            Assert.Equal(250, result.Events);
            Assert.Equal(3, result.Checkpoints); // 100 and 200 signed on the way, 250 at export

            // Another vault's key is not trusted for this export.
            var other = NewVault();
            Assert.False(AuditExportVerifier.Verify(new MemoryStream(export.ToArray()), other.SigningPublicKey).Intact);
        }
    }

    [ContractFact]
    public async Task The_key_ring_rewraps_its_keys_under_a_rotated_root()
    {
        var vault = NewVault();
        await using var metadata = new SqliteMetadataStore(Directory.Combine("keys.db"));
        await MigrationRunner.ApplyAsync(metadata, Hub.Hub.StorageMigrations, TimeProvider.System);
        var ring = new KeyRing(metadata, vault, TimeProvider.System);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add(await ring.CreateAsync("dataset", $"ds-{i}"));
        var keys = new List<byte[]>();
        foreach (var id in ids) keys.Add(await ring.GetAsync(id));

        var newRoot = vault.CreateRootKey();
        Assert.Equal(3, await ring.RewrapAllAsync());
        Assert.All(await ring.ListAsync(), k => Assert.Equal(newRoot, k.RootKeyId));

        var reopened = Reopen(vault);
        var fresh = new KeyRing(metadata, reopened, TimeProvider.System);
        for (var i = 0; i < 3; i++) Assert.Equal(keys[i], await fresh.GetAsync(ids[i]));
    }

    [ContractFact]
    public async Task Concurrent_wraps_unwraps_and_signatures_all_succeed()
    {
        var vault = NewVault();
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(vault.SigningPublicKey, out _);
        var work = Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 50; i++)
            {
                var key = RandomNumberGenerator.GetBytes(32);
                var context = Encoding.UTF8.GetBytes($"hygie-key:{t}-{i}");
                Assert.Equal(key, vault.UnwrapKey(vault.WrapKey(key, context), context, vault.RootKeyId));
                var digest = SHA256.HashData(context);
                Assert.True(ecdsa.VerifyHash(digest, vault.SignDigest(digest)));
            }
        }));
        await Task.WhenAll(work);
    }
}
