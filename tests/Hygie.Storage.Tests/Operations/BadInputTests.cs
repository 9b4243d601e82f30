using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Audit;
using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Hygie.Storage.Operations;
using Hygie.Storage.Operations.Backup;
using Hygie.Storage.Operations.Relocation;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Operations;

/// <summary>
/// A full disk, wrong S3 credentials and a wrong PKCS#11 PIN during a backup and a migration: one line naming the
/// location (and the object), nothing half-written or half-switched, and the hub still opens on its stores and verifies.
/// </summary>
public sealed class BadInputTests
{
    private static async Task<DeclaredLocation> DeclareAsync(OperationsHub ops, string name, string kind, string backend, Dictionary<string, string> settings) =>
        await ops.Hub.Locations.DeclareAsync(new DeclaredLocation(name, kind, "OVHcloud", backend, "FR", DeclaredLocation.EuOnly,
            [Core.Sovereignty.Qualifications.Hds, Core.Sovereignty.Qualifications.SecNumCloud], settings, null, default), "test");

    /// <summary>The hub as the next command finds it: on its old stores, readable, verified.</summary>
    private static async Task AssertUnmovedAndIntactAsync(OperationsHub ops, HubConfig before)
    {
        await ops.ReopenAsync();
        Assert.Equal(before.ToJson(), ops.Hub.Config.ToJson());
        Assert.False(File.Exists(SwitchJournal.PathIn(ops.DataDirectory)));
        await ops.AssertDataReadableAsync();
        var verified = await HubVerifier.RunAsync(ops.Hub);
        Assert.True(verified.Intact, verified.Failure);
    }

    private static void AssertOneLine(Exception e, string startsWith)
    {
        Assert.StartsWith(startsWith, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static IEnumerable<string> FilesUnder(string path) => Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories) : [];

    [Fact]
    public async Task A_backup_that_fills_the_disk_names_the_location_and_object_and_leaves_nothing_there()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(24, size: 16_000);
        using var disk = new TinyDisk(ops.Directory.Combine("small-volume"), 256);
        await DeclareAsync(ops, "small-backup", LocationKinds.Backup, "files", new() { ["path"] = disk.Combine("backups") });
        var before = ops.Hub.Config;

        var e = await Assert.ThrowsAsync<HubStateException>(() => HubBackup.RunAsync(ops.Hub, "small-backup"));
        AssertOneLine(e, "location 'small-backup': cannot write backups/");
        Assert.Contains("No space left on device", e.Message);
        Assert.Contains("(object 'datasets/ds1/part-", e.Message);
        Assert.Empty(FilesUnder(disk.Path));
        var failed = Assert.Single(await ops.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "hub.backup")));
        Assert.Equal(AuditOutcome.Failed, failed.Outcome);
        await AssertUnmovedAndIntactAsync(ops, before);

        // The same hub backs up to a location with room.
        await ops.DeclareAsync("roomy-backup", LocationKinds.Backup);
        Assert.Equal(24, (await HubBackup.RunAsync(ops.Hub, "roomy-backup")).Stats.ObjectsCopied);
    }

    [Fact]
    public async Task A_migration_that_fills_the_target_disk_stops_naming_the_location_and_object_and_the_hub_stays()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(24, size: 16_000);
        using var disk = new TinyDisk(ops.Directory.Combine("small-volume"), 256);
        await DeclareAsync(ops, "small-objects", LocationKinds.Objects, "files", new() { ["path"] = disk.Combine("objects") });
        var before = ops.Hub.Config;

        var e = await Assert.ThrowsAsync<HubStateException>(() => HubMigration.RunAsync(ops.Hub,
            new MigrationRequest { ObjectsTo = "small-objects", OpenOptions = ops.OpenOptions }));
        AssertOneLine(e, "location 'small-objects': cannot write datasets/ds1/part-");
        Assert.Contains("No space left on device", e.Message);
        Assert.Equal(MigrationRecord.Copying, (await HubMigration.StatusAsync(ops.Hub))!.Record.State);
        Assert.Contains(await ops.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "hub.migrate.copy")), a => a.Outcome == AuditOutcome.Failed);
        await AssertUnmovedAndIntactAsync(ops, before);

        // Abandoning it gives the space back.
        await HubMigration.AbortAsync(ops.Hub);
        Assert.Empty(FilesUnder(disk.Path));
    }

    [Fact]
    public async Task A_metadata_target_that_fills_up_during_the_switch_leaves_the_hub_unswitched()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(3);
        // Enough audit history that the copy cannot fit in the small volume.
        var reason = new string('r', 400);
        for (var batch = 0; batch < 5; batch++)
            await ops.Hub.Audit.AppendManyAsync(Enumerable.Range(0, 1000).Select(i => new AuditEntry("tester", "test.fill", $"t{batch}-{i}", Reason: reason)).ToList());
        using var disk = new TinyDisk(ops.Directory.Combine("small-volume"), 512);
        await ops.DeclareAsync("ovh-objects", LocationKinds.Objects);
        await DeclareAsync(ops, "small-metadata", LocationKinds.Metadata, "sqlite", new() { ["path"] = disk.Combine("metadata.db") });
        var before = ops.Hub.Config;

        var e = await Assert.ThrowsAsync<HubStateException>(() => HubMigration.RunAsync(ops.Hub,
            new MigrationRequest { ObjectsTo = "ovh-objects", MetadataTo = "small-metadata", OpenOptions = ops.OpenOptions }));
        AssertOneLine(e, "location 'small-metadata': cannot ");
        Assert.Contains("full", e.Message);
        Assert.Equal(MigrationRecord.Copied, (await HubMigration.StatusAsync(ops.Hub))!.Record.State);
        Assert.Contains(await ops.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "hub.migrate.switch")), a => a.Outcome == AuditOutcome.Failed);
        await AssertUnmovedAndIntactAsync(ops, before);
    }

    [Fact]
    public async Task Wrong_s3_credentials_refuse_a_backup_naming_the_location_without_the_secret()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(3);
        // s3rver checks the access key id and not the SigV4 signature, so the wrong credential here is the key id.
        var wrong = ProductionParts.SetVariable($"WRONG_S3_KEY_{ops.Run}", "NOTTHEKEY" + ops.Run.ToUpperInvariant());
        await DeclareAsync(ops, "s3-backup", LocationKinds.Backup, "s3", ProductionParts.S3Settings($"bk-{ops.Run}", accessKeyVariable: wrong));
        var before = ops.Hub.Config;

        var e = await Assert.ThrowsAsync<HubStateException>(() => HubBackup.RunAsync(ops.Hub, "s3-backup"));
        AssertOneLine(e, "location 's3-backup': ");
        Assert.Contains("credentials", e.Message);
        Assert.DoesNotContain("NOTTHEKEY", e.Message);
        Assert.Empty(await ops.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "hub.backup", Outcome: AuditOutcome.Success)));
        await AssertUnmovedAndIntactAsync(ops, before);
        await foreach (var o in StoreFactory.OpenObjects(ops.DataDirectory, new StoreConfig { Provider = "s3", Settings = ProductionParts.S3Settings($"bk-{ops.Run}") }).ListAsync())
            Assert.Fail($"the refused backup wrote {o.Key}");
    }

    [Fact]
    public async Task Wrong_s3_credentials_refuse_a_migration_at_its_start_or_its_resume_and_the_hub_stays()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(6);
        // s3rver checks the access key id and not the SigV4 signature, so the wrong credential here is the key id.
        var key = ProductionParts.SetVariable($"S3_KEY_{ops.Run}", "NOTTHEKEY" + ops.Run.ToUpperInvariant());
        await DeclareAsync(ops, "s3-objects", LocationKinds.Objects, "s3", ProductionParts.S3Settings($"mig-{ops.Run}", accessKeyVariable: key));
        var before = ops.Hub.Config;

        var atStart = await Assert.ThrowsAsync<HubStateException>(() => HubMigration.RunAsync(ops.Hub,
            new MigrationRequest { ObjectsTo = "s3-objects", OpenOptions = ops.OpenOptions }));
        AssertOneLine(atStart, "location 's3-objects': ");
        Assert.Contains("credentials", atStart.Message);
        Assert.DoesNotContain("NOTTHEKEY", atStart.Message);
        Assert.Null(await HubMigration.StatusAsync(ops.Hub));

        // The right secret: copied, not switched; then the credentials are revoked before the switch.
        ProductionParts.SetVariable(key, ProductionParts.Get(ProductionParts.S3AccessKey));
        await HubMigration.RunAsync(ops.Hub, new MigrationRequest { ObjectsTo = "s3-objects", Switch = false, OpenOptions = ops.OpenOptions });
        ProductionParts.SetVariable(key, "REVOKED" + ops.Run.ToUpperInvariant());
        var atResume = await Assert.ThrowsAsync<HubStateException>(() => HubMigration.RunAsync(ops.Hub, new MigrationRequest { OpenOptions = ops.OpenOptions }));
        AssertOneLine(atResume, "location 's3-objects': ");
        Assert.Equal(MigrationRecord.Copied, (await HubMigration.StatusAsync(ops.Hub))!.Record.State);
        await AssertUnmovedAndIntactAsync(ops, before);

        ProductionParts.SetVariable(key, ProductionParts.Get(ProductionParts.S3AccessKey));
        Assert.True((await HubMigration.RunAsync(ops.Hub, new MigrationRequest { OpenOptions = ops.OpenOptions })).Switched);
        await ops.ReopenAsync();
        await ops.AssertDataReadableAsync();
    }

    [Fact]
    public async Task A_wrong_pin_stops_a_backup_naming_the_hub_s_vault_location_and_the_right_one_opens_it_again()
    {
        await using var ops = await OperationsHub.CreateAsync(LocationBackends.Production);
        await ops.SealAsync(3);
        await ops.DeclareAsync("s3-backup", LocationKinds.Backup);
        var before = ops.Hub.Config;
        var pinVariable = ProductionParts.SetVariable($"HUB_PIN_{ops.Run}", ProductionParts.Get(ProductionParts.Pkcs11Pin));
        // The hub reads its PIN from a variable of its own, which the operator gets wrong before the next backup.
        var config = before with { Vault = before.Vault with { Settings = new(before.Vault.Settings!) { ["pin-env"] = pinVariable } } };
        config.Save(ops.DataDirectory);
        await ops.ReopenAsync();
        ProductionParts.SetVariable(pinVariable, "00000000");
        await ops.Hub.DisposeAsync();

        var e = await Assert.ThrowsAsync<HubStateException>(async () =>
        {
            await using var hub = await Hub.Hub.OpenAsync(ops.DataDirectory, ops.OpenOptions);
            await HubBackup.RunAsync(hub, "s3-backup");
        });
        AssertOneLine(e, "location 'local-vault' (the hub's key vault): wrong PIN for token ");
        Assert.DoesNotContain("00000000", e.Message);

        ProductionParts.SetVariable(pinVariable, ProductionParts.Get(ProductionParts.Pkcs11Pin));
        await ops.ReopenAsync();
        await ops.AssertDataReadableAsync();
        Assert.True((await HubVerifier.RunAsync(ops.Hub)).Intact);
        Assert.Equal(3, (await HubBackup.RunAsync(ops.Hub, "s3-backup")).Stats.ObjectsCopied);
    }

    [Fact]
    public async Task A_wrong_target_pin_refuses_a_migration_at_its_start_or_its_switch_and_the_hub_stays()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(4);
        await ops.DeclareAsync("ovh-objects", LocationKinds.Objects);
        var pin = ProductionParts.SetVariable($"HSM_PIN_{ops.Run}", "00000000");
        await DeclareAsync(ops, "hsm", LocationKinds.Vault, "pkcs11", ProductionParts.Pkcs11Settings($"hsm-{ops.Run}", secondToken: true, pinVariable: pin));
        var before = ops.Hub.Config;
        var request = new MigrationRequest { ObjectsTo = "ovh-objects", Vault = "hsm", OpenOptions = ops.OpenOptions };

        var atStart = await Assert.ThrowsAsync<HubStateException>(() => HubMigration.RunAsync(ops.Hub, request));
        AssertOneLine(atStart, "location 'hsm': wrong PIN for token ");
        Assert.Null(await HubMigration.StatusAsync(ops.Hub));

        ProductionParts.SetVariable(pin, ProductionParts.Get(ProductionParts.Pkcs11Pin2));
        await HubMigration.RunAsync(ops.Hub, request with { Switch = false });
        ProductionParts.SetVariable(pin, "00000000");
        var atSwitch = await Assert.ThrowsAsync<HubStateException>(() => HubMigration.RunAsync(ops.Hub, new MigrationRequest { OpenOptions = ops.OpenOptions }));
        AssertOneLine(atSwitch, "location 'hsm': wrong PIN for token ");
        Assert.Equal(MigrationRecord.Copied, (await HubMigration.StatusAsync(ops.Hub))!.Record.State);
        await AssertUnmovedAndIntactAsync(ops, before);

        ProductionParts.SetVariable(pin, ProductionParts.Get(ProductionParts.Pkcs11Pin2));
        Assert.True((await HubMigration.RunAsync(ops.Hub, new MigrationRequest { OpenOptions = ops.OpenOptions })).Switched);
        await ops.ReopenAsync();
        Assert.Equal("pkcs11", ops.Hub.Vault.Kind);
        await ops.AssertDataReadableAsync();
    }
}
