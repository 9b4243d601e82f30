using System.Text;
using System.Text.Json.Nodes;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Hub;
using Hygie.Storage.Keys;
using Hygie.Storage.Locations;
using Hygie.Storage.Objects;
using Hygie.Storage.Operations;
using Hygie.Storage.Operations.Backup;
using Hygie.Storage.Tests.Contracts;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Operations;

public sealed class BackupRestoreTests
{
    private static IObjectStore Open(OperationsHub ops, DeclaredLocation location) =>
        StoreFactory.OpenObjects(ops.DataDirectory, location.ToStoreConfig());

    private static async Task<string> ExportAuditAsync(Hub.Hub hub)
    {
        using var memory = new MemoryStream();
        await hub.Audit.ExportAsync(memory);
        return Encoding.UTF8.GetString(memory.ToArray());
    }

    private static IEnumerable<string> Events(string export) => export.Split('\n').Where(l => l.StartsWith("{\"type\":\"event\""));

    [Theory]
    [MemberData(nameof(LocationBackends.All), MemberType = typeof(LocationBackends))]
    public async Task Restore_then_verify_reproduces_the_data_and_the_audit_chain(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        await ops.SealAsync(12);
        await ops.Hub.Tokens.IssueAsync("researcher-1", ["researcher"]);
        var backup = await ops.DeclareAsync("vault-fr", LocationKinds.Backup);
        var result = await HubBackup.RunAsync(ops.Hub, "vault-fr");
        Assert.Equal(12, result.Stats.ObjectsCopied);
        var exported = await ExportAuditAsync(ops.Hub);

        var restored = ops.Directory.Combine("restored");
        var r = await HubRestore.RunAsync(new RestoreRequest
        {
            Source = Open(ops, backup), SourceName = "vault-fr", DataDirectory = restored,
            Vault = ops.RestoreVault, Stores = await ops.RestoreStoresAsync("restored"), Passphrase = null,
        });
        Assert.Equal(result.Id, r.BackupId);
        Assert.Equal(12, r.Objects);

        await using var hub = await Hub.Hub.OpenAsync(restored, ops.OpenOptions);
        Assert.Equal(ops.Hub.HubId, hub.HubId);
        await ops.AssertDataReadableAsync(hub);
        Assert.Contains(await hub.Tokens.ListAsync(), t => t.Subject == "researcher-1");

        // The restored chain is the original one, continued by the restore's own event.
        var again = await ExportAuditAsync(hub);
        Assert.True(r.AuditEvents > 1);
        var before = Events(exported).Take((int)r.AuditEvents).ToList();
        Assert.Equal(before, Events(again).Take(before.Count));
        Assert.Contains(Events(again), l => l.Contains("\"action\":\"hub.restore\""));

        var verified = await HubVerifier.RunAsync(hub);
        Assert.True(verified.Intact, verified.Failure);
        Assert.Equal(12, verified.Objects);
        Assert.Equal(12, verified.RestoredObjectsChecked);

        // The restored hub's own stores are declared where it runs now.
        var local = await hub.Locations.GetAsync("local-objects");
        Assert.Equal(LocationBackends.HubOnProduction(backends) ? ("s3", null, "FR") : ("files", "objects", "FR"), (local.Backend, local.Path, local.Country));
        Assert.Equal(ops.Hub.Vault.Kind, hub.Vault.Kind);
    }

    [Theory]
    [MemberData(nameof(LocationBackends.All), MemberType = typeof(LocationBackends))]
    public async Task A_second_backup_copies_only_the_new_objects(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        await ops.SealAsync(10);
        await ops.DeclareAsync("bk", LocationKinds.Backup);
        var first = await HubBackup.RunAsync(ops.Hub, "bk");
        Assert.Null(first.Previous);
        Assert.Equal((10, 10), (first.Stats.Objects, first.Stats.ObjectsCopied));

        await ops.SealAsync(3);
        var second = await HubBackup.RunAsync(ops.Hub, "bk");
        Assert.Equal(first.Id, second.Previous);
        Assert.Equal((13, 3), (second.Stats.Objects, second.Stats.ObjectsCopied));
        Assert.True(second.Stats.BytesCopied < second.Stats.ObjectBytes);

        var third = await HubBackup.RunAsync(ops.Hub, "bk");
        Assert.Equal(0, third.Stats.ObjectsCopied);

        // Each backup restores on its own; the first holds the first 10 objects only.
        var store = Open(ops, await ops.Hub.Locations.GetAsync("bk"));
        var restored = ops.Directory.Combine("restored-first");
        await HubRestore.RunAsync(new RestoreRequest { Source = store, SourceName = "bk", DataDirectory = restored, BackupId = first.Id,
            Vault = ops.RestoreVault, Stores = await ops.RestoreStoresAsync("first"), Passphrase = null });
        await using var hub = await Hub.Hub.OpenAsync(restored, ops.OpenOptions);
        var count = 0;
        await foreach (var _ in hub.Objects.ListAsync()) count++;
        Assert.Equal(10, count);
        Assert.True((await HubVerifier.RunAsync(hub)).Intact);
    }

    [Theory]
    [MemberData(nameof(LocationBackends.All), MemberType = typeof(LocationBackends))]
    public async Task A_backup_the_policy_forbids_is_refused_before_anything_is_written(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        await ops.SealAsync(2);
        var target = await ops.DeclareAsync("aws-us", LocationKinds.Backup, new HubSite("AWS", "US", "extra-eu", ["HDS"]));
        var e = await Assert.ThrowsAsync<PolicyViolationException>(() => HubBackup.RunAsync(ops.Hub, "aws-us"));
        Assert.Contains("backup refused", e.Message);
        Assert.Contains("'aws-us'", e.Message);
        Assert.Contains("rule 'snds' requires the SecNumCloud qualification", e.Message);
        await ops.AssertNothingAtAsync(target);
        var refused = await ops.Hub.Audit.QueryAsync(new Storage.Audit.AuditQuery(ActionPrefix: "hub.backup"));
        Assert.Equal(AuditOutcome.Refused, Assert.Single(refused).Outcome);
    }

    [Theory]
    [MemberData(nameof(LocationBackends.All), MemberType = typeof(LocationBackends))]
    public async Task A_restore_with_another_vault_is_refused_naming_the_root_key_and_writes_nothing(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        await ops.SealAsync(2);
        var backup = await ops.DeclareAsync("bk", LocationKinds.Backup);
        await HubBackup.RunAsync(ops.Hub, "bk");
        // Another vault of the same kind: a keyring file, or other keys in the token.
        StoreConfig other = LocationBackends.HubOnProduction(backends)
            ? new StoreConfig { Provider = "pkcs11", Settings = ProductionParts.Pkcs11Settings($"other-{ops.Run}") }
            : RestoreRequest.Keyring(ops.Directory.Combine("other-keyring.json"));
        StoreFactory.CreateVault(ops.Directory.Path, other, null, TimeProvider.System).Dispose();

        var restored = ops.Directory.Combine("restored");
        var stores = await ops.RestoreStoresAsync("refused");
        var e = await Assert.ThrowsAsync<IntegrityException>(() => HubRestore.RunAsync(new RestoreRequest
        {
            Source = Open(ops, backup), SourceName = "bk", DataDirectory = restored, Vault = other, Stores = stores, Passphrase = null,
        }));
        Assert.Contains($"wrapped by root key {ops.Hub.Vault.RootKeyId}, which this vault", e.Message);
        Assert.Contains("does not hold", e.Message);
        Assert.False(Directory.Exists(restored));
        Assert.Empty(Directory.EnumerateDirectories(ops.Directory.Path, ".restored*"));
        await AssertUntouchedAsync(ops, stores);
        ProductionParts.DestroyTokenKeys([other]);
    }

    [Theory]
    [MemberData(nameof(LocationBackends.All), MemberType = typeof(LocationBackends))]
    public async Task A_backup_whose_objects_do_not_match_the_manifest_is_refused_naming_the_object(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        var keys = await ops.SealAsync(5);
        var backup = await ops.DeclareAsync("bk", LocationKinds.Backup);
        var result = await HubBackup.RunAsync(ops.Hub, "bk");
        var store = Open(ops, backup);
        var manifest = await HubBackup.ReadManifestAsync(store, "bk", result.ManifestPath, default);
        var victim = manifest.Entries.First(e => e.ObjectKey == keys[3]);

        // One flipped byte in the stored ciphertext of one object.
        byte[] bytes;
        await using (var read = await store.OpenReadAsync(victim.Path)) { using var m = new MemoryStream(); await read.CopyToAsync(m); bytes = m.ToArray(); }
        bytes[^5] ^= 0x40;
        await using (var write = await store.OpenWriteAsync(victim.Path)) { await write.WriteAsync(bytes); await write.CommitAsync(); }

        var restored = ops.Directory.Combine("restored");
        var stores = await ops.RestoreStoresAsync("tampered");
        var request = new RestoreRequest { Source = store, SourceName = "bk", DataDirectory = restored, Vault = ops.RestoreVault, Stores = stores, Passphrase = null };
        var e = await Assert.ThrowsAsync<IntegrityException>(() => HubRestore.RunAsync(request));
        Assert.Contains($"object '{keys[3]}'", e.Message);
        Assert.Contains("does not match the manifest", e.Message);
        Assert.Contains("nothing was restored", e.Message);
        Assert.False(Directory.Exists(restored));
        await AssertUntouchedAsync(ops, stores);

        // A missing object is named too.
        await store.DeleteAsync(victim.Path);
        var missing = await Assert.ThrowsAsync<IntegrityException>(() => HubRestore.RunAsync(request));
        Assert.Contains($"object '{keys[3]}'", missing.Message);
        Assert.Contains("missing", missing.Message);
        Assert.False(Directory.Exists(restored));
    }

    [Theory]
    [MemberData(nameof(LocationBackends.All), MemberType = typeof(LocationBackends))]
    public async Task An_altered_manifest_fails_its_signature(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        await ops.SealAsync(2);
        var backup = await ops.DeclareAsync("bk", LocationKinds.Backup);
        var result = await HubBackup.RunAsync(ops.Hub, "bk");
        var store = Open(ops, backup);
        string text;
        await using (var read = await store.OpenReadAsync(result.ManifestPath)) text = await new StreamReader(read).ReadToEndAsync();

        // Re-indenting does not matter (the signature is over canonical JSON); changing a value does.
        var node = JsonNode.Parse(text)!;
        await Rewrite(node.ToJsonString());
        Assert.Equal(result.Id, (await HubBackup.ReadManifestAsync(store, "bk", result.ManifestPath, default)).Id);
        node["entries"]![0]!["size"] = 1;
        await Rewrite(node.ToJsonString());
        var e = await Assert.ThrowsAsync<IntegrityException>(() => HubBackup.ReadManifestAsync(store, "bk", result.ManifestPath, default));
        Assert.Contains("signature does not match", e.Message);

        async Task Rewrite(string json)
        {
            await using var write = await store.OpenWriteAsync(result.ManifestPath);
            await write.WriteAsync(Encoding.UTF8.GetBytes(json));
            await write.CommitAsync();
        }
    }

    [Theory]
    [MemberData(nameof(LocationBackends.All), MemberType = typeof(LocationBackends))]
    public async Task Verify_names_a_tampered_object_and_a_broken_audit_chain(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        var keys = await ops.SealAsync(4);
        Assert.True((await HubVerifier.RunAsync(ops.Hub)).Intact);

        await OperationsHub.TamperAsync(ops.Hub.Objects, keys[2]);
        var result = await HubVerifier.RunAsync(ops.Hub);
        Assert.False(result.Intact);
        Assert.Equal(keys[2], result.FailedItem);
        Assert.Contains($"object '{keys[2]}' does not verify", result.Failure);

        await OperationsHub.TamperAsync(ops.Hub.Objects, keys[2]);
        Assert.True((await HubVerifier.RunAsync(ops.Hub)).Intact);
        await using (var c = await ops.Hub.Metadata.OpenConnectionAsync())
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "UPDATE audit_events SET body = replace(body, 'hub.init', 'hub.lnit') WHERE seq = 1";
            await cmd.ExecuteNonQueryAsync();
        }
        var broken = await HubVerifier.RunAsync(ops.Hub);
        Assert.False(broken.Intact);
        Assert.Contains("audit chain is broken", broken.Failure);
        Assert.Contains("event 1", broken.Failure);
    }

    [Fact]
    public async Task Key_rotation_keeps_data_and_older_backups_readable_without_rewriting_objects()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(3);
        var backup = await ops.DeclareAsync("bk", LocationKinds.Backup);
        var before = await HubBackup.RunAsync(ops.Hub, "bk");
        var snapshot = DirectorySnapshot.Of(Path.Combine(ops.DataDirectory, "objects"));
        var oldRoot = ops.Hub.Vault.RootKeyId;

        var rotation = await KeyRotation.RunAsync(ops.Hub);
        Assert.Equal(oldRoot, rotation.PreviousRootKeyId);
        Assert.NotEqual(oldRoot, ops.Hub.Vault.RootKeyId);
        Assert.Equal(1, rotation.Rewrapped);
        Assert.All(await ops.Hub.Keys.ListAsync(), k => Assert.Equal(rotation.RootKeyId, k.RootKeyId));
        Assert.Equal(snapshot, DirectorySnapshot.Of(Path.Combine(ops.DataDirectory, "objects")));

        await ops.ReopenAsync();
        await ops.AssertDataReadableAsync();
        Assert.Contains(await ops.Hub.Audit.QueryAsync(new Storage.Audit.AuditQuery(ActionPrefix: "keys.rotate")), e => e.Entry.Details!["to"] == rotation.RootKeyId);

        // A backup made before the rotation restores with the rotated vault (it keeps the retired root key).
        var restored = ops.Directory.Combine("restored");
        await HubRestore.RunAsync(new RestoreRequest { Source = Open(ops, backup), SourceName = "bk", DataDirectory = restored, BackupId = before.Id,
            Vault = ops.RestoreVault, Passphrase = null });
        await using var hub = await Hub.Hub.OpenAsync(restored, ops.OpenOptions);
        await ops.AssertDataReadableAsync(hub);
    }

    /// <summary>A refused restore left the production stores it was given as empty as it found them.</summary>
    private static async Task AssertUntouchedAsync(OperationsHub ops, StoreChoice? stores)
    {
        if (stores is null) return;
        await foreach (var o in StoreFactory.OpenObjects(ops.Directory.Path, stores.Objects!).ListAsync()) Assert.Fail($"the refused restore wrote {o.Key}");
        await using var metadata = StoreFactory.OpenMetadata(ops.Directory.Path, stores.Metadata!);
        await using var c = await metadata.OpenConnectionAsync();
        Assert.Empty(await MetadataTables.ListAsync(c, null, metadata.Dialect, default));
    }
}
