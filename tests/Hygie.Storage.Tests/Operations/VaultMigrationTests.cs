using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Audit;
using Hygie.Storage.Hub;
using Hygie.Storage.Keys;
using Hygie.Storage.Locations;
using Hygie.Storage.Metadata;
using Hygie.Storage.Operations;
using Hygie.Storage.Operations.Relocation;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Operations;

/// <summary>
/// Moving host means moving HSM: the keys go from a keyring into a token, out of a token into a keyring, and from one
/// token to another; data keys are re-wrapped by the target's root key, the audit chain stays verifiable end to end,
/// and finalize crypto-erases the old vault. On SoftHSM2 (two tokens).
/// </summary>
public sealed class VaultMigrationTests
{
    private static async Task DeclareTokenAsync(OperationsHub ops, string name, bool secondToken = true) =>
        await ops.Hub.Locations.DeclareAsync(new DeclaredLocation(name, LocationKinds.Vault, "Thales", "pkcs11", "FR", DeclaredLocation.EuOnly,
            [Core.Sovereignty.Qualifications.Hds], ProductionParts.Pkcs11Settings($"{name}-{ops.Run}", secondToken), "an HSM partition", default), "test");

    private static async Task<AuditVerification> VerifyExportAsync(Hub.Hub hub, byte[] trusted)
    {
        using var export = new MemoryStream();
        await hub.Audit.ExportAsync(export);
        return AuditExportVerifier.Verify(new MemoryStream(export.ToArray()), trusted);
    }

    /// <summary>One wrapped data key as the hub's metadata holds it (its id, root key and blob).</summary>
    private static async Task<(string Id, string Root, byte[] Wrapped)> AnyWrappedKeyAsync(Hub.Hub hub)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync();
        await using var cmd = c.Command("SELECT id, root_key_id, wrapped FROM keys WHERE wrapped IS NOT NULL ORDER BY id LIMIT 1");
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "the hub holds no wrapped data key");
        return (reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2));
    }

    private static MigrationRequest Move(OperationsHub ops, string vault, string? metadataTo = null) => new()
    {
        ObjectsTo = "new-objects", MetadataTo = metadataTo, Vault = vault, OpenOptions = ops.OpenOptions,
    };

    [Fact]
    public async Task Keys_move_from_a_keyring_into_a_token_with_the_audit_key_and_finalize_destroys_the_keyring()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(6);
        await ops.DeclareAsync("new-objects", LocationKinds.Objects);
        await DeclareTokenAsync(ops, "hsm");
        var auditKey = ops.Hub.Vault.SigningPublicKey;
        var keyring = Path.Combine(ops.DataDirectory, "keyring.json");

        var result = await HubMigration.RunAsync(ops.Hub, Move(ops, "hsm"));
        Assert.True(result.Switched);
        await ops.ReopenAsync();
        Assert.Equal(("pkcs11", "hsm"), (ops.Hub.Vault.Kind, ops.Hub.Config.Vault.Location));
        // The audit key moved into the token, non-extractable like the new root key: one public key for the whole chain.
        Assert.Equal(auditKey, ops.Hub.Vault.SigningPublicKey);
        Assert.All(ops.Hub.Vault.ListKeys(), k => Assert.False(k.Extractable, $"{k.Purpose} key {k.Id} is extractable"));
        Assert.All(await ops.Hub.Keys.ListAsync(), k => Assert.Equal(ops.Hub.Vault.RootKeyId, k.RootKeyId));
        Assert.Empty(await ops.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: AuditChain.KeyTransitionAction)));
        var chain = await VerifyExportAsync(ops.Hub, auditKey);
        Assert.True(chain.Intact, chain.Problem);
        await ops.AssertDataReadableAsync();

        var finalized = await HubMigration.FinalizeAsync(ops.Hub);
        Assert.Contains("local-vault", finalized.Erased);
        Assert.Equal(1, finalized.VaultObjectsDestroyed);
        Assert.False(File.Exists(keyring));
        await ops.ReopenAsync();
        var verified = await HubVerifier.RunAsync(ops.Hub);
        Assert.True(verified.Intact, verified.Failure);
    }

    [Fact]
    public async Task Keys_move_out_of_a_token_into_a_keyring_the_audit_key_is_handed_over_and_finalize_destroys_the_token_keys()
    {
        await using var ops = await OperationsHub.CreateAsync(LocationBackends.Production);
        await ops.SealAsync(5);
        await ops.DeclareAsync("new-objects", LocationKinds.Objects);
        var oldAuditKey = ops.Hub.Vault.SigningPublicKey;
        var oldToken = StoreFactory.Pkcs11Options(ops.Hub.Config.Vault);
        var (keyId, oldRoot, wrapped) = await AnyWrappedKeyAsync(ops.Hub);

        var result = await HubMigration.RunAsync(ops.Hub, Move(ops, ops.Directory.Combine("moved-keyring.json")));
        Assert.True(result.Switched);
        await ops.ReopenAsync();
        Assert.Equal("local-keyring", ops.Hub.Vault.Kind);
        Assert.NotEqual(oldAuditKey, ops.Hub.Vault.SigningPublicKey);
        await ops.AssertDataReadableAsync();

        // The token's audit key could not leave it: the chain records the hand-over, signed by the old key.
        var handOver = Assert.Single(await ops.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: AuditChain.KeyTransitionAction)));
        Assert.Equal(AuditChain.Fingerprint(oldAuditKey), handOver.Entry.Details!["fromKey"]);
        Assert.Equal(AuditChain.Fingerprint(ops.Hub.Vault.SigningPublicKey), handOver.Entry.Details["toKey"]);
        foreach (var trusted in new[] { oldAuditKey, ops.Hub.Vault.SigningPublicKey })
        {
            var chain = await VerifyExportAsync(ops.Hub, trusted);
            Assert.True(chain.Intact, chain.Problem);
        }

        // Until finalize the old copy is still readable with the old token; after it, never again.
        using (var oldVault = Pkcs11KeyVault.Open(oldToken))
            Assert.Equal(32, oldVault.UnwrapKey(wrapped, KeyRing.WrapContext(keyId), oldRoot).Length);
        var finalized = await HubMigration.FinalizeAsync(ops.Hub);
        Assert.Equal(3, finalized.VaultObjectsDestroyed); // the root key and the audit key pair
        Assert.Contains("local-vault", finalized.Erased);
        var gone = Assert.Throws<HubStateException>(() => Pkcs11KeyVault.Open(oldToken));
        Assert.Equal("vault-empty", gone.Code);
        var record = Assert.Single(await ops.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "hub.migrate.finalize")));
        Assert.Equal(("pkcs11", "3"), (record.Entry.Details!["oldVault"], record.Entry.Details["oldVaultObjectsDestroyed"]));

        await ops.ReopenAsync();
        var verified = await HubVerifier.RunAsync(ops.Hub);
        Assert.True(verified.Intact, verified.Failure);
        Assert.True((await VerifyExportAsync(ops.Hub, oldAuditKey)).Intact);
    }

    [Fact]
    public async Task Keys_move_from_one_token_to_another_with_the_metadata_and_the_chain_stays_verifiable()
    {
        await using var ops = await OperationsHub.CreateAsync(LocationBackends.Production);
        await ops.SealAsync(5);
        await ops.DeclareAsync("new-objects", LocationKinds.Objects);
        await ops.DeclareAsync("new-metadata", LocationKinds.Metadata);
        await DeclareTokenAsync(ops, "hsm-2");
        var oldAuditKey = ops.Hub.Vault.SigningPublicKey;
        var oldToken = StoreFactory.Pkcs11Options(ops.Hub.Config.Vault);

        var result = await HubMigration.RunAsync(ops.Hub, Move(ops, "hsm-2", metadataTo: "new-metadata"));
        Assert.True(result.Switched);
        await ops.ReopenAsync();
        Assert.Equal(("pkcs11", "hsm-2", "new-metadata"), (ops.Hub.Vault.Kind, ops.Hub.Config.Vault.Location, ops.Hub.Config.Metadata.Location));
        Assert.Equal(ProductionParts.Get(ProductionParts.Pkcs11Token2), StoreFactory.Pkcs11Options(ops.Hub.Config.Vault).TokenLabel);
        Assert.All(ops.Hub.Vault.ListKeys(), k => Assert.False(k.Extractable));
        Assert.All(await ops.Hub.Keys.ListAsync(), k => Assert.Equal(ops.Hub.Vault.RootKeyId, k.RootKeyId));
        Assert.Single(await ops.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: AuditChain.KeyTransitionAction)));
        Assert.True((await VerifyExportAsync(ops.Hub, oldAuditKey)).Intact);
        await ops.AssertDataReadableAsync();

        var finalized = await HubMigration.FinalizeAsync(ops.Hub);
        Assert.Equal(3, finalized.VaultObjectsDestroyed);
        Assert.Equal("vault-empty", Assert.Throws<HubStateException>(() => Pkcs11KeyVault.Open(oldToken)).Code);
        await ops.ReopenAsync();
        var verified = await HubVerifier.RunAsync(ops.Hub);
        Assert.True(verified.Intact, verified.Failure);
    }

    [Fact]
    public async Task An_aborted_move_into_a_token_destroys_the_keys_it_created_there()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(2);
        await ops.DeclareAsync("new-objects", LocationKinds.Objects);
        await DeclareTokenAsync(ops, "hsm");
        var target = StoreFactory.Pkcs11Options((await ops.Hub.Locations.GetAsync("hsm")).ToStoreConfig());

        await HubMigration.RunAsync(ops.Hub, Move(ops, "hsm") with { Switch = false });
        using (var created = Pkcs11KeyVault.Open(target)) Assert.Equal(ops.Hub.Vault.SigningPublicKey, created.SigningPublicKey);
        await HubMigration.AbortAsync(ops.Hub);
        Assert.Equal("vault-empty", Assert.Throws<HubStateException>(() => Pkcs11KeyVault.Open(target)).Code);
        Assert.Equal("local-keyring", ops.Hub.Vault.Kind);
        await ops.AssertDataReadableAsync();
    }
}
