using System.Collections.Concurrent;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Hygie.Storage.Operations;
using Hygie.Storage.Operations.Relocation;

namespace Hygie.Storage.Tests.Operations;

public sealed class MigrationTests
{
    /// <summary>Stands for the process dying at a step (the hook throws; nothing after it runs, as with kill -9).</summary>
    private sealed class SimulatedCrash(string step) : Exception($"simulated crash at {step}");

    private sealed class Tracker
    {
        public ConcurrentDictionary<string, int> Copies { get; } = new();
        public List<string> Steps { get; } = [];
    }

    private static MigrationRequest Request(OperationsHub ops, Tracker tracker, bool metadata = true, bool vault = true,
        string? crashAt = null, int crashOn = 1, Action<string, string?>? also = null)
    {
        var seen = 0;
        return new MigrationRequest
        {
            ObjectsTo = "ovh-objects",
            MetadataTo = metadata ? "ovh-metadata" : null,
            Vault = vault ? VaultTarget(ops) : null,
            OpenOptions = ops.OpenOptions,
            Options = new OperationOptions { Parallelism = 3 },
            Hook = (step, item) =>
            {
                lock (tracker)
                {
                    tracker.Steps.Add(step);
                    if (step == "object.copied") tracker.Copies.AddOrUpdate(item!, 1, (_, n) => n + 1);
                    also?.Invoke(step, item);
                    if (step == crashAt && ++seen == crashOn) throw new SimulatedCrash(step);
                }
            },
        };
    }

    /// <summary>Where the keys move: a new keyring file (embedded), or the declared PKCS#11 vault 'hsm-2' in the second token.</summary>
    private static string VaultTarget(OperationsHub ops) =>
        LocationBackends.TargetsOnProduction(ops.Backends) ? "hsm-2" : ops.Directory.Combine("new-keyring.json");

    private static async Task DeclareTargetsAsync(OperationsHub ops)
    {
        await ops.DeclareAsync("ovh-objects", LocationKinds.Objects);
        await ops.DeclareAsync("ovh-metadata", LocationKinds.Metadata);
        if (LocationBackends.TargetsOnProduction(ops.Backends)) await ops.DeclareAsync("hsm-2", LocationKinds.Vault);
    }

    private static void AssertVaultMoved(OperationsHub ops)
    {
        if (LocationBackends.TargetsOnProduction(ops.Backends))
            Assert.Equal(("pkcs11", "hsm-2"), (ops.Hub.Vault.Kind, ops.Hub.Config.Vault.Location));
        else
            Assert.EndsWith("new-keyring.json", ops.Hub.Vault.Location);
    }

    /// <summary>
    /// Every step a crash can hit, on each backend set: all of them on the embedded parts, and between the production
    /// hub (PostgreSQL, S3, token → another database, prefix and token) and the embedded-to-production move, each step
    /// once more on real services.
    /// </summary>
    public static IEnumerable<object[]> CrashPoints =>
        new (string Backends, string Step, int On)[]
        {
            (LocationBackends.Embedded, "object.copied", 3), (LocationBackends.Embedded, "object.verified", 7), (LocationBackends.Embedded, "progress.flushed", 1),
            (LocationBackends.Embedded, "copied", 1), (LocationBackends.Embedded, "switch.locked", 1), (LocationBackends.Embedded, "switch.metadata-copied", 1),
            (LocationBackends.Embedded, "switch.journal-written", 1), (LocationBackends.Embedded, "switch.committed", 1),
            (LocationBackends.Production, "object.copied", 3), (LocationBackends.Production, "progress.flushed", 1),
            (LocationBackends.Production, "switch.metadata-copied", 1), (LocationBackends.Production, "switch.committed", 1),
            (LocationBackends.EmbeddedToProduction, "object.verified", 7), (LocationBackends.EmbeddedToProduction, "copied", 1),
            (LocationBackends.EmbeddedToProduction, "switch.locked", 1), (LocationBackends.EmbeddedToProduction, "switch.journal-written", 1),
        }.Select(p => new object[] { p.Backends, p.Step, p.On });

    /// <summary>The embedded parts and the move of an embedded hub to production parts (S3 target, PostgreSQL, token).</summary>
    public static IEnumerable<object[]> ToEmbeddedAndProduction => [[LocationBackends.Embedded], [LocationBackends.EmbeddedToProduction]];

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task A_migration_killed_at_any_step_resumes_without_copying_an_object_twice(string backends, string crashAt, int crashOn)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        await ops.SealAsync(40, size: 2000);
        await DeclareTargetsAsync(ops);
        var tracker = new Tracker();

        var crash = await Assert.ThrowsAnyAsync<Exception>(() => HubMigration.RunAsync(ops.Hub, Request(ops, tracker, crashAt: crashAt, crashOn: crashOn)));
        Assert.IsType<SimulatedCrash>(crash is AggregateException a ? a.InnerExceptions[0] : crash);

        // The next command opens the hub: an interrupted switch is completed or dropped, never half done.
        await ops.ReopenAsync();
        var committed = crashAt == "switch.committed";
        long recognized = 0;
        Assert.Equal(committed ? "ovh-objects" : null, ops.Hub.Config.Objects.Location);
        Assert.False(File.Exists(SwitchJournal.PathIn(ops.DataDirectory)));
        await ops.AssertDataReadableAsync();

        if (!committed)
        {
            // Before the switch the hub is fully usable on its old location: reads, writes, audit.
            Assert.Equal("local-objects", ops.Hub.Locations.HubStores[LocationKinds.Objects]);
            await ops.SealAsync(3, size: 1500);
            await ops.Hub.Audit.AppendAsync(new AuditEntry("tester", "during.migration", "x"));
            var resumed = await HubMigration.RunAsync(ops.Hub, Request(ops, tracker) with { ObjectsTo = null, MetadataTo = null, Vault = null });
            Assert.True(resumed.Resumed);
            Assert.True(resumed.Switched);
            recognized = resumed.Recognized;
            Assert.True(43 == resumed.Copied + resumed.Rechecked + resumed.Recognized,
                $"copied {resumed.Copied}, re-checked {resumed.Rechecked}, recognized {resumed.Recognized}, removed {resumed.RemovedAtTarget}: not the 43 objects");
            await ops.ReopenAsync();
        }

        Assert.All(tracker.Copies, c => Assert.True(c.Value == 1, $"object {c.Key} was copied {c.Value} times"));
        // Each object copied once; one whose upload completed as the run died (before the step after it) is
        // recognized by the next run instead of copied again.
        Assert.InRange(tracker.Copies.Count, ops.Plaintexts.Count - recognized, ops.Plaintexts.Count);
        Assert.Equal("ovh-objects", ops.Hub.Config.Objects.Location);
        Assert.Equal("ovh-metadata", ops.Hub.Config.Metadata.Location);
        AssertVaultMoved(ops);
        await ops.AssertDataReadableAsync();
        Assert.Contains(await ops.Hub.Audit.QueryAsync(new Storage.Audit.AuditQuery(ActionPrefix: "hub.migrate.switched")), e => e.Outcome == AuditOutcome.Success);
        if (!committed)
            Assert.Single(await ops.Hub.Audit.QueryAsync(new Storage.Audit.AuditQuery(ActionPrefix: "during.migration")));
        var verified = await HubVerifier.RunAsync(ops.Hub);
        Assert.True(verified.Intact, verified.Failure);
        Assert.Equal(ops.Plaintexts.Count, verified.Objects);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public async Task Migrate_switch_and_finalize_move_the_hub_and_erase_the_old_copy(bool metadata, bool vault)
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(15);
        await DeclareTargetsAsync(ops);
        var oldKeyring = Path.Combine(ops.DataDirectory, "keyring.json");
        var oldRoot = ops.Hub.Vault.RootKeyId;
        var signing = ops.Hub.Vault.SigningPublicKey;

        var result = await HubMigration.RunAsync(ops.Hub, Request(ops, new Tracker(), metadata, vault));
        Assert.Equal((15, true, false), (result.Copied, result.Switched, result.Resumed));
        await ops.ReopenAsync();
        Assert.Equal("ovh-objects", ops.Hub.Config.Objects.Location);
        Assert.Equal(metadata ? "ovh-metadata" : null, ops.Hub.Config.Metadata.Location);
        Assert.Equal(vault, ops.Hub.Vault.RootKeyId != oldRoot);
        Assert.Equal(signing, ops.Hub.Vault.SigningPublicKey);
        if (vault) Assert.All(await ops.Hub.Keys.ListAsync(), k => Assert.Equal(ops.Hub.Vault.RootKeyId, k.RootKeyId));
        await ops.AssertDataReadableAsync();
        Assert.Equal(MigrationRecord.Switched, (await HubMigration.StatusAsync(ops.Hub))!.Record.State);

        var finalized = await HubMigration.FinalizeAsync(ops.Hub);
        Assert.Equal(15, finalized.ObjectsDeleted);
        Assert.False(Directory.Exists(Path.Combine(ops.DataDirectory, "objects")));
        Assert.Equal(metadata, !File.Exists(Path.Combine(ops.DataDirectory, "metadata.db")));
        Assert.Equal(vault, !File.Exists(oldKeyring));
        Assert.Contains("local-objects", finalized.Erased);
        Assert.NotNull((await ops.Hub.Locations.FindAsync("local-objects"))!.ErasedAt);

        await ops.ReopenAsync();
        await ops.AssertDataReadableAsync();
        Assert.True((await HubVerifier.RunAsync(ops.Hub)).Intact);
        var actions = (await ops.Hub.Audit.QueryAsync(new Storage.Audit.AuditQuery(ActionPrefix: "hub.migrate"))).Select(e => e.Action).Reverse().ToList();
        Assert.Equal(["hub.migrate.start", "hub.migrate.copied", "hub.migrate.switch", "hub.migrate.switched", "hub.migrate.finalize"], actions);
        var report = await ComplianceReport.BuildAsync(ops.Hub);
        Assert.Contains(report.Locations.Single(l => l.Name == "local-objects").Holds, h => h.Contains("erased"));
    }

    [Theory]
    [MemberData(nameof(ToEmbeddedAndProduction))]
    public async Task An_object_altered_at_the_target_right_after_its_copy_is_detected_and_named(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        var keys = await ops.SealAsync(8);
        await DeclareTargetsAsync(ops);
        var victim = keys[5];
        var target = await ops.ObjectsAtAsync("ovh-objects");
        var request = Request(ops, new Tracker(), also: (step, item) =>
        {
            if (step == "object.copied" && item == victim) OperationsHub.TamperAsync(target, victim).GetAwaiter().GetResult();
        });
        var e = await Assert.ThrowsAsync<IntegrityException>(() => HubMigration.RunAsync(ops.Hub, request));
        Assert.Contains($"object '{victim}' at location 'ovh-objects' does not match the source", e.Message);
        Assert.Null(ops.Hub.Config.Objects.Location);

        // The next run copies it again and completes.
        var resumed = await HubMigration.RunAsync(ops.Hub, Request(ops, new Tracker()) with { ObjectsTo = null });
        Assert.True(resumed.Switched);
        await ops.ReopenAsync();
        await ops.AssertDataReadableAsync();
    }

    [Theory]
    [MemberData(nameof(ToEmbeddedAndProduction))]
    public async Task An_object_altered_at_the_target_while_the_migration_waited_is_detected_on_resume_then_copied_again(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        var keys = await ops.SealAsync(8);
        await DeclareTargetsAsync(ops);
        var copiedOnly = await HubMigration.RunAsync(ops.Hub, Request(ops, new Tracker()) with { Switch = false });
        Assert.Equal((MigrationRecord.Copied, false), (copiedOnly.State, copiedOnly.Switched));
        Assert.Equal(8, (await HubMigration.StatusAsync(ops.Hub))!.ObjectsVerified);

        await OperationsHub.TamperAsync(await ops.ObjectsAtAsync("ovh-objects"), keys[2]);
        var e = await Assert.ThrowsAsync<IntegrityException>(() => HubMigration.RunAsync(ops.Hub, new MigrationRequest { OpenOptions = ops.OpenOptions }));
        Assert.Contains($"object '{keys[2]}' at location 'ovh-objects'", e.Message);
        Assert.Contains("altered at the target", e.Message);
        Assert.Equal("migration-target-altered", e.Code);

        var tracker = new Tracker();
        var resumed = await HubMigration.RunAsync(ops.Hub, Request(ops, tracker) with { ObjectsTo = null });
        Assert.Equal([keys[2]], tracker.Copies.Keys);
        Assert.Equal(7, resumed.Rechecked);
        await ops.ReopenAsync();
        await ops.AssertDataReadableAsync();
    }

    [Theory]
    [MemberData(nameof(LocationBackends.All), MemberType = typeof(LocationBackends))]
    public async Task A_migration_the_policy_forbids_is_refused_before_a_byte_moves(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        await ops.SealAsync(3);
        var target = await ops.DeclareAsync("aws-objects", LocationKinds.Objects, new HubSite("AWS", "IE", "extra-eu", ["HDS", "SecNumCloud"]));
        var e = await Assert.ThrowsAsync<PolicyViolationException>(() => HubMigration.RunAsync(ops.Hub,
            new MigrationRequest { ObjectsTo = "aws-objects", OpenOptions = ops.OpenOptions }));
        Assert.Contains("migration refused: location 'aws-objects' may not hold 'snds' data", e.Message);
        Assert.Contains("exposed to extra-EU law", e.Message);
        await ops.AssertNothingAtAsync(target);
        Assert.Null(await HubMigration.StatusAsync(ops.Hub));
        Assert.Equal(AuditOutcome.Refused, Assert.Single(await ops.Hub.Audit.QueryAsync(new Storage.Audit.AuditQuery(ActionPrefix: "hub.migrate"))).Outcome);
    }

    [Theory]
    [MemberData(nameof(ToEmbeddedAndProduction))]
    public async Task A_target_that_already_holds_objects_is_refused_and_another_migration_cannot_start_over_one_in_progress(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        await ops.SealAsync(3);
        var target = await ops.DeclareAsync("ovh-objects", LocationKinds.Objects);
        var store = await ops.ObjectsAtAsync("ovh-objects");
        await using (var w = await store.OpenWriteAsync("someone-elses")) { w.WriteByte(1); await w.CommitAsync(); }
        var e = await Assert.ThrowsAsync<ConflictException>(() => HubMigration.RunAsync(ops.Hub, new MigrationRequest { ObjectsTo = "ovh-objects", OpenOptions = ops.OpenOptions }));
        Assert.Contains("already holds objects", e.Message);

        await store.DeleteAsync("someone-elses");
        await HubMigration.RunAsync(ops.Hub, new MigrationRequest { ObjectsTo = "ovh-objects", Switch = false, OpenOptions = ops.OpenOptions });
        await ops.DeclareAsync("other-objects", LocationKinds.Objects);
        var busy = await Assert.ThrowsAsync<ConflictException>(() => HubMigration.RunAsync(ops.Hub, new MigrationRequest { ObjectsTo = "other-objects", OpenOptions = ops.OpenOptions }));
        Assert.Contains("is in progress", busy.Message);

        // Abort removes the copies; the hub never moved.
        await HubMigration.AbortAsync(ops.Hub);
        await foreach (var o in store.ListAsync()) Assert.Fail($"the aborted migration left {o.Key} at the target");
        Assert.Equal(MigrationRecord.Aborted, (await HubMigration.StatusAsync(ops.Hub))!.Record.State);
        await ops.AssertDataReadableAsync();
    }

    [Theory]
    [MemberData(nameof(LocationBackends.All), MemberType = typeof(LocationBackends))]
    public async Task Objects_deleted_from_the_hub_during_the_migration_are_deleted_at_the_target_by_the_switch(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        var keys = await ops.SealAsync(6);
        await DeclareTargetsAsync(ops);
        await HubMigration.RunAsync(ops.Hub, Request(ops, new Tracker()) with { Switch = false });
        await ops.Hub.Objects.DeleteAsync(keys[0]);
        ops.Plaintexts.Remove(keys[0]);
        var result = await HubMigration.RunAsync(ops.Hub, new MigrationRequest { OpenOptions = ops.OpenOptions });
        Assert.Equal(1, result.RemovedAtTarget);
        await ops.ReopenAsync();
        Assert.False(await ops.Hub.Objects.ExistsAsync(keys[0]));
        await ops.AssertDataReadableAsync();
    }

}
