using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Audit;
using Hygie.Storage.Hub;
using Hygie.Storage.Keys;
using Hygie.Storage.Locations;
using Hygie.Storage.Metadata;
using Hygie.Storage.Objects;
using Microsoft.Data.Sqlite;

namespace Hygie.Storage.Operations.Relocation;

/// <summary>
/// <c>hygie migrate</c>: moves the whole hub to other locations while it stays in use, then switches in one step.
/// <list type="number">
/// <item><b>start</b> — the placement policy is asked for every target before a byte moves; the targets must be empty;
/// the plan is recorded (<c>migrations</c>, state <c>copying</c>); when the vault changes, the target vault (a keyring
/// or a PKCS#11 token) gets a new root key and — from a keyring — the hub's audit key (<see cref="EnsureTargetVaultAsync"/>).</item>
/// <item><b>copy</b> (live) — each sealed object is copied as ciphertext, read back at the target and its SHA-256
/// compared; verified objects are recorded in batches (<c>migration_objects</c>). A run killed at any point resumes:
/// recorded objects are re-checked at the target, not copied again; unrecorded ones already at the target with the
/// source's digest are recognized, not copied again. State <c>copied</c>.</item>
/// <item><b>switch</b> — under the hub lock (no server running) and the metadata write lock: objects added or
/// removed since the copy are caught up, the metadata is copied in one transaction (data keys re-wrapped under the new
/// vault's root key; no data rewritten; a token's audit key, which cannot leave it, handed over to the new vault's in
/// a signed key-transition event), the new <c>hub.json</c> is journaled, the switch commits in the old store,
/// and the journal replaces <c>hub.json</c> atomically (<see cref="SwitchJournal"/>). State <c>switched</c>.</item>
/// <item><b>finalize</b> — the old copy is erased: old objects deleted, old metadata dropped, and when a new vault took
/// over the old one is crypto-erased (the keyring file overwritten and removed; the token's root and audit keys
/// destroyed), so the old wrapped keys — and the old ciphertext — open nothing. State <c>finalized</c>.</item>
/// </list>
/// Every step is audited. Until the switch the hub runs on its old locations, unchanged.
/// </summary>
public static class HubMigration
{
    public static async Task<MigrationResult> RunAsync(Hub.Hub hub, MigrationRequest request, CancellationToken ct = default)
    {
        var actor = request.Options.Actor;
        MigrationRecord? record;
        await using (var c = await hub.Metadata.OpenConnectionAsync(ct))
            record = await MigrationRecord.LatestAsync(c, null, ct, MigrationRecord.Copying, MigrationRecord.Copied);
        var resumed = record is not null;
        if (record is null)
        {
            if (request.ObjectsTo is null)
                throw new ValidationFailedException("no migration is in progress: start one with 'hygie migrate --to OBJECT_LOCATION'", "to");
            record = await StartAsync(hub, request, ct);
        }
        else
        {
            if (request.ObjectsTo is not null && (request.ObjectsTo != record.ObjectsTo || request.MetadataTo != record.MetadataTo
                                                  || (request.Vault is null) != (record.VaultTo is null)))
                throw new ConflictException(
                    $"migration {record.Id} to '{record.ObjectsTo}'{(record.MetadataTo is null ? "" : $" (metadata to '{record.MetadataTo}')")} is in progress: " +
                    "resume it with 'hygie migrate' or abandon it with 'hygie migrate --abort'", "migration-in-progress");
            await hub.Audit.AppendAsync(new AuditEntry(actor, "hub.migrate.resume", record.Id, Details: new Dictionary<string, string> { ["state"] = record.State }), ct);
        }

        await EnsureTargetVaultAsync(hub, record, request);
        var run = new Run(hub, record, request);
        var target = OpenTargetObjects(hub, record);

        // Copy, live: the hub keeps working on its old stores.
        await using (var progress = new ProgressLog(hub.Metadata, record.Id, hub.Clock, request.Hook, Durable(target)))
        {
            Dictionary<string, (long Size, string Sha256)> verified;
            await using (var c = await hub.Metadata.OpenConnectionAsync(ct))
                verified = await ProgressLog.LoadAsync(c, null, record.Id, ct);
            try
            {
                await CopyObjectsAsync(run, target, verified, progress, removeExtra: false, ct);
                await progress.FlushAsync(ct);
            }
            catch (HygieException e)
            {
                await hub.Audit.AppendAsync(new AuditEntry(actor, "hub.migrate.copy", record.Id, AuditOutcome.Failed, e.Message), CancellationToken.None);
                throw;
            }
        }
        await using (var c = await hub.Metadata.OpenConnectionAsync(ct))
            await MigrationRecord.SetStateAsync(c, null, record.Id, MigrationRecord.Copied, hub.Clock.GetUtcNow(), ct);
        await hub.Audit.AppendAsync(new AuditEntry(actor, "hub.migrate.copied", record.Id, Details: run.Details()), ct);
        request.Hook?.Invoke("copied", null);
        if (!request.Switch)
            return run.Result(MigrationRecord.Copied, resumed, false);

        try
        {
            await SwitchAsync(run, target, ct);
        }
        catch (HygieException e)
        {
            await hub.Audit.AppendAsync(new AuditEntry(actor, "hub.migrate.switch", record.Id,
                e.Code == "hub-locked" ? AuditOutcome.Refused : AuditOutcome.Failed, e.Message), CancellationToken.None);
            throw;
        }

        // The hub now lives on the new stores: the switch is recorded there.
        await using (var moved = await Hub.Hub.OpenAsync(hub.DataDirectory, request.OpenOptions, ct))
        {
            await moved.Audit.AppendAsync(new AuditEntry(actor, "hub.migrate.switched", record.Id, Details: new Dictionary<string, string>
            {
                ["objects"] = record.ObjectsTo, ["metadata"] = record.MetadataTo ?? "unchanged", ["vault"] = record.VaultTo ?? "unchanged",
                ["rootKey"] = moved.Vault.RootKeyId,
            }), ct);
            await moved.Audit.CheckpointAsync(ct);
        }
        return run.Result(MigrationRecord.Switched, resumed, true);
    }

    public static async Task<MigrationStatus?> StatusAsync(Hub.Hub hub, CancellationToken ct = default)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        var record = await MigrationRecord.LatestAsync(c, null, ct);
        if (record is null) return null;
        await using var cmd = c.Command("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM migration_objects WHERE migration_id = @m");
        cmd.AddParameter("m", record.Id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new MigrationStatus(record, reader.GetInt64Value(0), reader.GetInt64Value(1));
    }

    // ---- start ----

    private static async Task<MigrationRecord> StartAsync(Hub.Hub hub, MigrationRequest request, CancellationToken ct)
    {
        var actor = request.Options.Actor;
        DeclaredLocation objectsTo;
        DeclaredLocation? metadataTo = null;
        try
        {
            objectsTo = await hub.Placement.EnsureHubDataAllowedAsync(request.ObjectsTo!, "migration", LocationKinds.Objects, ct);
            if (request.MetadataTo is not null)
                metadataTo = await hub.Placement.EnsureHubDataAllowedAsync(request.MetadataTo, "migration", LocationKinds.Metadata, ct);
        }
        catch (PolicyViolationException e)
        {
            await hub.Audit.AppendAsync(new AuditEntry(actor, "hub.migrate.start", request.MetadataTo is null ? request.ObjectsTo! : $"{request.ObjectsTo}+{request.MetadataTo}",
                AuditOutcome.Refused, e.Message), ct);
            throw;
        }
        if (objectsTo.Name == hub.Locations.HubStores[LocationKinds.Objects])
            throw new ValidationFailedException($"the hub's objects are already in '{objectsTo.Name}'", "to");
        if (metadataTo is not null && metadataTo.Name == hub.Locations.HubStores[LocationKinds.Metadata])
            throw new ValidationFailedException($"the hub's metadata is already in '{metadataTo.Name}'", "metadata-to");

        // The targets must be empty: a migration never mixes its copy with anything else.
        var target = await ObjectTransfer.AtLocationAsync(objectsTo.Name, "open the object store",
            () => Task.FromResult(StoreFactory.OpenObjects(hub.DataDirectory, objectsTo.ToStoreConfig())));
        var occupied = await ObjectTransfer.AtLocationAsync(objectsTo.Name, "list its objects", async () =>
        {
            await foreach (var _ in target.ListAsync("", ct)) return true;
            return false;
        });
        if (occupied)
            throw new ConflictException($"location '{objectsTo.Name}' already holds objects: a migration needs an empty object store", "target-not-empty");
        if (metadataTo is not null)
        {
            await using var store = StoreFactory.OpenMetadata(hub.DataDirectory, metadataTo.ToStoreConfig());
            var tables = await ObjectTransfer.AtLocationAsync(metadataTo.Name, "open the metadata store", async () =>
            {
                await using var c = await store.OpenConnectionAsync(ct);
                return await MetadataTables.ListAsync(c, null, store.Dialect, ct);
            });
            if (tables.Count > 0)
                throw new ConflictException($"location '{metadataTo.Name}' already holds tables ({string.Join(", ", tables.Take(5))}…): a migration needs an empty metadata store", "target-not-empty");
        }

        var source = StoreSet.Of(hub.Config);
        var next = source with { Objects = objectsTo.ToStoreConfig(), Metadata = metadataTo?.ToStoreConfig() ?? source.Metadata };
        string? vaultTo = null;
        if (request.Vault is not null)
        {
            (next, vaultTo) = await PrepareVaultAsync(hub, request, next, ct);
        }

        var id = $"mig-{hub.Clock.GetUtcNow().UtcDateTime:yyyyMMdd't'HHmmss'z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        var now = hub.Clock.GetUtcNow().ToString("O");
        await hub.Audit.CommitWithAsync([new AuditEntry(actor, "hub.migrate.start", id, Details: new Dictionary<string, string>
        {
            ["objectsFrom"] = hub.Locations.HubStores[LocationKinds.Objects], ["objectsTo"] = objectsTo.Name,
            ["metadataFrom"] = hub.Locations.HubStores[LocationKinds.Metadata], ["metadataTo"] = metadataTo?.Name ?? "unchanged",
            ["vaultFrom"] = hub.Locations.HubStores[LocationKinds.Vault], ["vaultTo"] = vaultTo ?? "unchanged",
        })], async (c, tx) =>
        {
            await using var cmd = c.Command(
                $"INSERT INTO migrations ({MigrationRecord.Columns}) VALUES (@id, @s, @o, @m, @v, @src, @dst, @t, @t, NULL, NULL, NULL)", tx);
            cmd.AddParameter("id", id).AddParameter("s", MigrationRecord.Copying).AddParameter("o", objectsTo.Name).AddParameter("m", metadataTo?.Name)
               .AddParameter("v", vaultTo).AddParameter("src", source.ToJson()).AddParameter("dst", next.ToJson()).AddParameter("t", now);
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);
        await using var conn = await hub.Metadata.OpenConnectionAsync(ct);
        return (await MigrationRecord.LatestAsync(conn, null, ct, MigrationRecord.Copying))!;
    }

    /// <summary>
    /// The vault the hub moves to: a declared <c>vault</c> location (a <c>local-keyring</c> file or a <c>pkcs11</c>
    /// token) or a keyring path. Only checked here — it must not be the current vault, and a vault that already holds
    /// keys must hold the hub's audit key — and created once the migration is recorded
    /// (<see cref="EnsureTargetVaultAsync"/>), so a run killed in between creates it on resume.
    /// </summary>
    private static async Task<(StoreSet, string)> PrepareVaultAsync(Hub.Hub hub, MigrationRequest request, StoreSet next, CancellationToken ct)
    {
        var declared = DeclaredLocation.IsValidName(request.Vault!) ? await hub.Locations.FindAsync(request.Vault!, ct) : null;
        StoreConfig config;
        string name;
        if (declared is not null)
        {
            if (declared.Kind != LocationKinds.Vault)
                throw new ValidationFailedException($"location '{declared.Name}' is of kind '{declared.Kind}', not 'vault'", "vault");
            if (declared.ErasedAt is not null)
                throw new ValidationFailedException($"location '{declared.Name}' was erased on {declared.ErasedAt:u}: declare a new vault", "vault");
            name = declared.Name;
            config = declared.Backend switch
            {
                "local-keyring" when declared.Path is not null => new StoreConfig
                {
                    Provider = "local-keyring", Path = Path.GetFullPath(Path.Combine(hub.DataDirectory, declared.Path)), Location = name,
                },
                "pkcs11" => declared.ToStoreConfig(),
                _ => throw new ValidationFailedException($"location '{declared.Name}' is not a local-keyring vault with a path nor a pkcs11 token", "vault"),
            };
        }
        else
        {
            var path = Path.GetFullPath(request.Vault!);
            name = "vault-" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(path)))[..8];
            config = new StoreConfig { Provider = "local-keyring", Path = path, Location = name };
        }
        if (SameVault(hub, config))
            throw new ValidationFailedException($"location '{name}' is the hub's current vault", "vault");

        bool create;
        if (config.Provider == "local-keyring")
        {
            var path = config.Path!;
            if (!Directory.Exists(Path.GetDirectoryName(path)))
                throw new ValidationFailedException($"cannot create a keyring at {path}: the directory {Path.GetDirectoryName(path)} does not exist", "vault");
            create = !File.Exists(path);
            if (!create)
            {
                using var existing = LocalKeyringVault.Open(path, request.OpenOptions.Passphrase);
                if (!existing.SigningPublicKey.AsSpan().SequenceEqual(hub.Vault.SigningPublicKey))
                    throw new ValidationFailedException($"the keyring at {path} holds another audit key than the hub's: give a new path, the migration creates the keyring", "vault");
            }
        }
        else
        {
            create = await AtVaultAsync(name, "open the token", () =>
            {
                try
                {
                    using var existing = StoreFactory.OpenVault(hub.DataDirectory, config, null);
                    if (!existing.SigningPublicKey.AsSpan().SequenceEqual(hub.Vault.SigningPublicKey))
                        throw new ValidationFailedException(
                            $"location '{name}' already holds hygie keys labelled '{StoreFactory.Pkcs11Options(config).KeyLabel}' with another audit key: choose another key-label for the hub's keys", "vault");
                    return false;
                }
                catch (HubStateException e) when (e.Code == "vault-empty")
                {
                    return true;
                }
            });
        }

        if (declared is null && await hub.Locations.FindAsync(name, ct) is null)
        {
            var site = await hub.Locations.FindAsync(hub.Locations.HubStores[LocationKinds.Vault], ct);
            await hub.Locations.DeclareAsync(new DeclaredLocation(name, LocationKinds.Vault, site?.Provider ?? "local machine", "local-keyring",
                site?.Country ?? DeclaredLocation.UnknownCountry, site?.Jurisdiction ?? DeclaredLocation.UnknownJurisdiction, site?.Qualifications ?? [],
                new Dictionary<string, string> { ["path"] = config.Path! }, "keyring created by a migration", hub.Clock.GetUtcNow()), request.Options.Actor, ct: ct);
        }
        return (next with { Vault = config, VaultCreated = create }, name);
    }

    /// <summary>Whether <paramref name="config"/> is the vault the hub uses now (the same keyring file, or the same keys in the same token).</summary>
    private static bool SameVault(Hub.Hub hub, StoreConfig config)
    {
        var current = hub.Config.Vault;
        if (current.Provider != config.Provider) return false;
        if (config.Provider == "local-keyring")
            return Path.GetFullPath(Path.Combine(hub.DataDirectory, current.Path ?? "keyring.json")) == Path.GetFullPath(config.Path!);
        var (a, b) = (StoreFactory.Pkcs11Options(current), StoreFactory.Pkcs11Options(config));
        return Path.GetFullPath(a.LibraryPath) == Path.GetFullPath(b.LibraryPath) && a.TokenLabel == b.TokenLabel && a.KeyLabel == b.KeyLabel;
    }

    /// <summary>
    /// Creates the target vault's keys when the migration planned to and they are not there yet: a new root key, and
    /// the hub's audit key when it can move (from a keyring); a token's audit key cannot, so the target gets a new one
    /// and the switch records the hand-over in the chain.
    /// </summary>
    private static async Task EnsureTargetVaultAsync(Hub.Hub hub, MigrationRecord record, MigrationRequest request)
    {
        if (record.VaultTo is null || !record.Target.VaultCreated) return;
        var config = record.Target.Vault;
        await AtVaultAsync(record.VaultTo, "create the hub's keys", () =>
        {
            if (config.Provider == "local-keyring")
            {
                if (!File.Exists(config.Path!))
                    LocalKeyringVault.CreateSuccessor(config.Path!, request.OpenOptions.Passphrase, hub.Clock, hub.Vault).Dispose();
                return true;
            }
            try
            {
                StoreFactory.OpenVault(hub.DataDirectory, config, null).Dispose();
            }
            catch (HubStateException e) when (e.Code == "vault-empty")
            {
                Pkcs11KeyVault.CreateSuccessor(StoreFactory.Pkcs11Options(config), hub.Clock, hub.Vault).Dispose();
            }
            return true;
        });
    }

    /// <summary>Runs a vault operation; a failure (a wrong PIN, a missing token) is said about the location, in one line.</summary>
    private static Task<T> AtVaultAsync<T>(string location, string what, Func<T> action) =>
        ObjectTransfer.AtLocationAsync(location, what, () => Task.FromResult(action()));

    // ---- copy ----

    private static IObjectStore OpenTargetObjects(Hub.Hub hub, MigrationRecord record) =>
        StoreFactory.OpenObjects(hub.DataDirectory, record.Target.Objects);

    /// <summary>Objects are recorded as verified only once durable at the target: direct copies defer that to one flush per batch.</summary>
    private static Func<IReadOnlyCollection<string>, CancellationToken, Task>? Durable(IObjectStore target) =>
        target is IObjectCopyTarget copies ? copies.MakeDurableAsync : null;

    private static async Task CopyObjectsAsync(Run run, IObjectStore target, Dictionary<string, (long Size, string Sha256)> verifiedBefore,
        ProgressLog progress, bool removeExtra, CancellationToken ct)
    {
        var source = run.Hub.Objects;
        var targetName = run.Record.ObjectsTo;
        var sourceObjects = new List<StoredObject>();
        await foreach (var o in source.ListAsync("", ct)) sourceObjects.Add(o);
        var atTarget = await ObjectTransfer.AtLocationAsync(targetName, "list its objects", async () =>
        {
            var d = new Dictionary<string, long>(StringComparer.Ordinal);
            await foreach (var o in target.ListAsync("", ct)) d[o.Key] = o.Length;
            return d;
        });
        var total = sourceObjects.Count;
        long done = 0;
        var rate = run.Request.MaxBytesPerSecond is > 0 and var limit ? new TransferRate(limit) : null;

        await Parallel.ForEachAsync(sourceObjects, new ParallelOptions { MaxDegreeOfParallelism = run.Request.Options.Parallelism, CancellationToken = ct }, async (o, token) =>
        {
            try
            {
                await MoveOneAsync(o, token);
            }
            catch (NotFoundException)
            {
                // Deleted from the hub since it was listed: the switch's catch-up removes it at the target.
                if (await source.ExistsAsync(o.Key, token)) throw;
            }
        });

        async Task MoveOneAsync(StoredObject o, CancellationToken token)
        {
            if (run.VerifiedThisRun.ContainsKey(o.Key)) { Report(); return; }
            if (verifiedBefore.TryGetValue(o.Key, out var recorded))
            {
                // Verified by an earlier run: checked again at the target (against its recorded digest, or byte for
                // byte against the source when it was compared), not copied again.
                bool intact;
                string? found = null;
                if (!atTarget.ContainsKey(o.Key)) intact = false;
                else if (recorded.Sha256.Length == 0)
                {
                    var (same, there) = await ObjectTransfer.AtLocationAsync(targetName, $"read {o.Key}", () => ObjectTransfer.CompareAsync(source, o.Key, target, o.Key, hash: false, token));
                    intact = same && there.Length == recorded.Size;
                }
                else
                {
                    var there = await ObjectTransfer.AtLocationAsync(targetName, $"read {o.Key}", () => ObjectTransfer.DigestAsync(target, o.Key, token));
                    intact = there.Sha256 == recorded.Sha256 && there.Length == recorded.Size;
                    found = $" (sha256 {there.Sha256[..16]}…, expected {recorded.Sha256[..16]}…)";
                }
                if (intact)
                {
                    run.VerifiedThisRun[o.Key] = 0;
                    Interlocked.Increment(ref run.Rechecked);
                    Report();
                    return;
                }
                await progress.ForgetAsync(o.Key, token);
                if (atTarget.ContainsKey(o.Key))
                    throw new IntegrityException(
                        $"object '{o.Key}' at location '{targetName}' does not match what was verified when it was copied{found}: " +
                        "it was altered at the target. The migration stopped; the next run copies it again", "migration-target-altered");
            }
            else if (atTarget.ContainsKey(o.Key))
            {
                // Copied by a run that was killed before recording it: recognized (same bytes), not copied again.
                var (same, there) = await ObjectTransfer.AtLocationAsync(targetName, $"read {o.Key}", () => ObjectTransfer.CompareAsync(source, o.Key, target, o.Key, hash: false, token));
                if (same)
                {
                    await progress.MarkVerifiedAsync(o.Key, there.Length, there.Sha256, token);
                    run.VerifiedThisRun[o.Key] = 0;
                    Interlocked.Increment(ref run.Recognized);
                    Report();
                    return;
                }
            }

            var streamed = await ObjectTransfer.AtLocationAsync(targetName, $"write {o.Key}",
                () => ObjectTransfer.CopyFastAsync(source, o.Key, target, o.Key, deferDurability: true, token));
            run.Request.Hook?.Invoke("object.copied", o.Key);
            var copied = await ObjectTransfer.AtLocationAsync(targetName, $"read {o.Key} back",
                () => ObjectTransfer.CheckCopyAsync(source, o.Key, target, o.Key, streamed, token));
            if (copied is null)
                throw new IntegrityException(
                    $"object '{o.Key}' at location '{targetName}' does not match the source after copying it: the target altered or lost bytes", "migration-target-altered");
            run.Request.Hook?.Invoke("object.verified", o.Key);
            await progress.MarkVerifiedAsync(o.Key, copied.Length, copied.Sha256, token);
            run.VerifiedThisRun[o.Key] = 0;
            run.CopiedKeys.Add(o.Key);
            Interlocked.Increment(ref run.Copied);
            Interlocked.Add(ref run.BytesCopied, copied.Length);
            Report();
            if (rate is not null) await rate.AfterCopyAsync(copied.Length, token);

            void Report()
            {
                var n = Interlocked.Increment(ref done);
                run.Request.Options.Progress?.Report(new OperationProgress("objects", n, total, Interlocked.Read(ref run.BytesCopied), o.Key));
            }
        }

        if (!removeExtra) return;
        // Under the switch lock: what the hub deleted since the copy goes at the target too.
        var present = sourceObjects.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
        await foreach (var o in target.ListAsync("", ct))
        {
            if (present.Contains(o.Key)) continue;
            await ObjectTransfer.AtLocationAsync(targetName, $"delete {o.Key}", async () => { await target.DeleteAsync(o.Key, ct); return 0; });
            if (verifiedBefore.ContainsKey(o.Key) || run.VerifiedThisRun.ContainsKey(o.Key)) await progress.ForgetAsync(o.Key, ct);
            Interlocked.Increment(ref run.Removed);
        }
    }

    // ---- switch ----

    private static async Task SwitchAsync(Run run, IObjectStore target, CancellationToken ct)
    {
        var (hub, record, request) = (run.Hub, run.Record, run.Request);
        using var hubLock = HubLock.Acquire(hub.DataDirectory, "migration switch",
            "stop 'hygie serve' (or the other hygie using this hub) for the switch, then run 'hygie migrate' again: the objects copied so far are kept");
        await hub.Audit.AppendAsync(new AuditEntry(request.Options.Actor, "hub.migrate.switch", record.Id, Details: run.Details()), ct);

        using var newVault = record.VaultTo is null ? null
            : await AtVaultAsync(record.VaultTo, "open the vault", () => StoreFactory.OpenVault(hub.DataDirectory, record.Target.Vault, request.OpenOptions.Passphrase));
        await using var connection = await hub.Metadata.OpenConnectionAsync(ct);
        await using var tx = await MetadataTables.BeginExclusiveAsync(connection, ct);
        request.Hook?.Invoke("switch.locked", null);

        await using (var progress = new ProgressLog(hub.Metadata, record.Id, hub.Clock, request.Hook, Durable(target)))
        {
            progress.UseTransaction(connection, tx);
            var verified = await ProgressLog.LoadAsync(connection, tx, record.Id, ct);
            await CopyObjectsAsync(run, target, verified, progress, removeExtra: true, ct);
            await progress.FlushAsync(ct);
        }

        if (record.MetadataTo is not null)
        {
            await CopyMetadataAsync(run, connection, tx, newVault, ct);
            request.Hook?.Invoke("switch.metadata-copied", null);
        }
        else if (newVault is not null)
        {
            await RewrapAsync(connection, tx, hub.Vault, newVault, ct);
            await HandOverAuditKeyAsync(run, connection, tx, hub.Metadata.Dialect, newVault, ct);
        }

        SwitchJournal.Write(hub.DataDirectory, record.Id, record.Target.ApplyTo(hub.Config));
        request.Hook?.Invoke("switch.journal-written", null);
        await MigrationRecord.SetStateAsync(connection, tx, record.Id, MigrationRecord.Switched, hub.Clock.GetUtcNow(), ct);
        await tx.CommitAsync(ct);
        request.Hook?.Invoke("switch.committed", null);
        SwitchJournal.Apply(hub.DataDirectory);
    }

    /// <summary>Copies every table, read under the old store's lock, into the new store in one transaction.</summary>
    private static async Task CopyMetadataAsync(Run run, DbConnection source, DbTransaction sourceTx, IKeyVault? newVault, CancellationToken ct)
    {
        var (hub, record, request) = (run.Hub, run.Record, run.Request);
        var name = record.MetadataTo!;
        await using var store = StoreFactory.OpenMetadata(hub.DataDirectory, record.Target.Metadata);
        var versions = await MetadataTables.VersionsAsync(source, sourceTx, ct);
        var migrations = MetadataTables.MigrationsUpTo(versions, [.. Hub.Hub.StorageMigrations, .. request.OpenOptions.Migrations], "the hub's metadata");
        await ObjectTransfer.AtLocationAsync(name, "create the schema", async () => { await MigrationRunner.ApplyAsync(store, migrations, hub.Clock, ct); return 0; });

        var tables = await MetadataTables.ListAsync(source, sourceTx, hub.Metadata.Dialect, ct);
        await using var target = await ObjectTransfer.AtLocationAsync(name, "connect", () => store.OpenConnectionAsync(ct));
        // A failure here (a full disk, a lost connection) rolls the copy back; the hub has not switched.
        await ObjectTransfer.AtLocationAsync(name, "copy the metadata", async () =>
        {
            var targetTables = await MetadataTables.ListAsync(target, null, store.Dialect, ct);
            await using var tx = await target.BeginTransactionAsync(ct);
            if (store.Dialect.Name == SqlDialect.Sqlite.Name)
                await using (var defer = target.Command("PRAGMA defer_foreign_keys = ON", tx)) await defer.ExecuteNonQueryAsync(ct);
            // A switch that died after writing here but before committing in the old store left a copy: cleared first.
            foreach (var table in targetTables.Reverse()) await MetadataTables.ClearAsync(target, tx, table, ct);
            foreach (var table in tables)
            {
                if (!targetTables.Contains(table, StringComparer.OrdinalIgnoreCase))
                    throw new HubStateException($"table '{table}' of the hub's metadata is not created by any migration this hygie knows: it cannot be moved", "schema-unknown");
                var columns = await MetadataTables.ColumnsAsync(source, sourceTx, table, ct);
                var rows = MetadataTables.ReadAsync(source, sourceTx, table, columns, ct);
                if (newVault is not null && table == "keys") rows = Rewrap(rows, columns, hub.Vault, newVault, ct);
                await MetadataTables.ReplaceAsync(target, tx, table, columns, rows, ct);
            }
            await MetadataTables.FixIdentitiesAsync(target, tx, store.Dialect, ct);
            if (newVault is not null) await HandOverAuditKeyAsync(run, target, tx, store.Dialect, newVault, ct);
            await MigrationRecord.SetStateAsync(target, tx, record.Id, MigrationRecord.Switched, hub.Clock.GetUtcNow(), ct);
            await tx.CommitAsync(ct);
            return 0;
        });
    }

    /// <summary>
    /// When the new vault signs with another audit key (the old one stays in its token), the chain is handed over in
    /// the switch's transaction: signed by the old key up to here, endorsed by it for the new key, signed by the new key
    /// from here. Nothing to do when the audit key moved with the keys.
    /// </summary>
    private static async Task HandOverAuditKeyAsync(Run run, DbConnection connection, DbTransaction tx, SqlDialect dialect, IKeyVault newVault, CancellationToken ct)
    {
        if (newVault.SigningPublicKey.AsSpan().SequenceEqual(run.Hub.Vault.SigningPublicKey)) return;
        await AuditLog.AppendKeyTransitionAsync(connection, tx, dialect, run.Hub.Vault, newVault, run.Hub.Clock, run.Request.Options.Actor,
            $"migration {run.Record.Id}: the keys moved from '{run.Hub.Locations.HubStores[LocationKinds.Vault]}' to '{run.Record.VaultTo}', " +
            $"whose {run.Hub.Vault.Kind} audit key cannot leave its vault", ct);
    }

    private static async IAsyncEnumerable<object?[]> Rewrap(IAsyncEnumerable<object?[]> rows, IReadOnlyList<string> columns, IKeyVault from, IKeyVault to,
        [EnumeratorCancellation] CancellationToken ct)
    {
        int Col(string n) => columns.ToList().FindIndex(c => string.Equals(c, n, StringComparison.OrdinalIgnoreCase));
        var (id, root, wrapped) = (Col("id"), Col("root_key_id"), Col("wrapped"));
        await foreach (var row in rows.WithCancellation(ct))
        {
            if (row[wrapped] is byte[] blob)
            {
                var key = from.UnwrapKey(blob, KeyRing.WrapContext((string)row[id]!), (string)row[root]!);
                row[wrapped] = to.WrapKey(key, KeyRing.WrapContext((string)row[id]!), to.RootKeyId);
                row[root] = to.RootKeyId;
                CryptographicOperations.ZeroMemory(key);
            }
            yield return row;
        }
    }

    /// <summary>Re-wraps every live data key in place, inside the switch's transaction (the metadata stays where it is).</summary>
    private static async Task RewrapAsync(DbConnection connection, DbTransaction tx, IKeyVault from, IKeyVault to, CancellationToken ct)
    {
        var rows = new List<(string Id, string Root, byte[] Wrapped)>();
        await using (var cmd = connection.Command("SELECT id, root_key_id, wrapped FROM keys WHERE wrapped IS NOT NULL", tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) rows.Add((reader.GetString(0), reader.GetString(1), (byte[])reader.GetValue(2)));
        foreach (var (id, root, wrapped) in rows)
        {
            var key = from.UnwrapKey(wrapped, KeyRing.WrapContext(id), root);
            await using var cmd = connection.Command("UPDATE keys SET wrapped = @w, root_key_id = @r WHERE id = @id", tx);
            cmd.AddParameter("w", to.WrapKey(key, KeyRing.WrapContext(id), to.RootKeyId)).AddParameter("r", to.RootKeyId).AddParameter("id", id);
            await cmd.ExecuteNonQueryAsync(ct);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    // ---- finalize, abort ----

    /// <summary>Erases the copy a switched migration left behind and records it.</summary>
    public static async Task<FinalizeResult> FinalizeAsync(Hub.Hub hub, OperationOptions? options = null, CancellationToken ct = default)
    {
        options ??= new OperationOptions();
        MigrationRecord? record;
        await using (var c = await hub.Metadata.OpenConnectionAsync(ct))
            record = await MigrationRecord.LatestAsync(c, null, ct, MigrationRecord.Switched);
        if (record is null)
            throw new NotFoundException("no switched migration to finalize (see 'hygie migrate --status')", "migration-not-found");
        if (hub.Config.Objects.Location != record.Target.Objects.Location)
            throw new HubStateException($"hub.json does not use the stores of migration {record.Id}: refusing to erase anything", "migration-state");

        var erased = new List<string>();
        var notes = new List<string>();
        var old = record.Source;

        // Objects: every old copy deleted.
        var oldObjectsName = old.Objects.Location ?? DeclaredLocation.LocalName(LocationKinds.Objects);
        long deleted = 0;
        var oldObjects = StoreFactory.OpenObjects(hub.DataDirectory, old.Objects);
        await ObjectTransfer.AtLocationAsync(oldObjectsName, "delete the old objects", async () =>
        {
            var keys = new List<string>();
            await foreach (var o in oldObjects.ListAsync("", ct)) keys.Add(o.Key);
            await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct }, async (k, token) =>
            {
                await oldObjects.DeleteAsync(k, token);
                var n = Interlocked.Increment(ref deleted);
                options.Progress?.Report(new OperationProgress("erase", n, keys.Count, Item: k));
            });
            if (oldObjects is FileObjectStore files && Directory.Exists(files.Root)) Directory.Delete(files.Root, recursive: true);
            return 0;
        });
        erased.Add(oldObjectsName);

        // Metadata, when it moved: the old tables dropped (the old SQLite file deleted).
        if (record.MetadataTo is not null)
        {
            var name = old.Metadata.Location ?? DeclaredLocation.LocalName(LocationKinds.Metadata);
            await ObjectTransfer.AtLocationAsync(name, "erase the old metadata", async () =>
            {
                if (old.Metadata.Provider == "sqlite")
                {
                    var path = Path.Combine(hub.DataDirectory, old.Metadata.Path ?? "metadata.db");
                    SqliteConnection.ClearAllPools();
                    foreach (var f in new[] { path, path + "-wal", path + "-shm" }) if (File.Exists(f)) File.Delete(f);
                }
                else
                {
                    await using var store = StoreFactory.OpenMetadata(hub.DataDirectory, old.Metadata);
                    await MetadataTables.DropAllAsync(store, ct);
                }
                return 0;
            });
            erased.Add(name);
        }

        // The old vault, when a new one took over: crypto-erased (its root keys destroyed), so the old copy's wrapped
        // keys — and the old ciphertext — open nothing, wherever a copy of them survives.
        long vaultKeysDestroyed = 0;
        if (record.VaultTo is not null)
        {
            var name = old.Vault.Location ?? DeclaredLocation.LocalName(LocationKinds.Vault);
            vaultKeysDestroyed = await AtVaultAsync(name, "destroy the old root keys", () => old.Vault.Provider switch
            {
                "local-keyring" => LocalKeyringVault.Destroy(Path.Combine(hub.DataDirectory, old.Vault.Path ?? "keyring.json")) ? 1L : 0L,
                "pkcs11" => Pkcs11KeyVault.DestroyKeys(StoreFactory.Pkcs11Options(old.Vault)),
                _ => throw new HubStateException($"the old vault is of unknown kind '{old.Vault.Provider}'", "vault-config"),
            });
            erased.Add(name);
            await using var c = await hub.Metadata.OpenConnectionAsync(ct);
            await using var cmd = c.Command("SELECT COUNT(*) FROM backups WHERE root_key_id <> @r");
            cmd.AddParameter("r", hub.Vault.RootKeyId);
            var stale = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct));
            if (stale > 0)
                notes.Add($"{stale} backup(s) taken before the switch have keys wrapped by the erased vault and can no longer be restored: take a new backup");
        }

        await hub.Audit.CommitWithAsync([new AuditEntry(options.Actor, "hub.migrate.finalize", record.Id, Details: new Dictionary<string, string>
        {
            ["erased"] = string.Join(",", erased), ["objectsDeleted"] = deleted.ToString(), ["notes"] = string.Join(" | ", notes),
            ["oldVault"] = record.VaultTo is null ? "kept" : old.Vault.Provider, ["oldVaultObjectsDestroyed"] = vaultKeysDestroyed.ToString(),
        })], async (c, tx) =>
        {
            foreach (var name in erased) await hub.Locations.MarkErasedAsync(name, c, tx, ct);
            await MigrationRecord.SetStateAsync(c, tx, record.Id, MigrationRecord.Finalized, hub.Clock.GetUtcNow(), ct);
            return 0;
        }, ct);
        return new FinalizeResult(record.Id, erased, deleted, notes, vaultKeysDestroyed);
    }

    /// <summary>Abandons a migration before its switch: its copies at the targets are removed; the hub never moved.</summary>
    public static async Task<string> AbortAsync(Hub.Hub hub, OperationOptions? options = null, CancellationToken ct = default)
    {
        options ??= new OperationOptions();
        MigrationRecord? record;
        await using (var c = await hub.Metadata.OpenConnectionAsync(ct))
            record = await MigrationRecord.LatestAsync(c, null, ct, MigrationRecord.Copying, MigrationRecord.Copied);
        if (record is null) throw new NotFoundException("no migration in progress to abort", "migration-not-found");

        var target = OpenTargetObjects(hub, record);
        await ObjectTransfer.AtLocationAsync(record.ObjectsTo, "delete the copied objects", async () =>
        {
            var keys = new List<string>();
            await foreach (var o in target.ListAsync("", ct)) keys.Add(o.Key);
            foreach (var k in keys) await target.DeleteAsync(k, ct);
            return 0;
        });
        if (record.MetadataTo is not null)
        {
            await using var store = StoreFactory.OpenMetadata(hub.DataDirectory, record.Target.Metadata);
            await ObjectTransfer.AtLocationAsync(record.MetadataTo, "clear the metadata copy", async () => { await MetadataTables.DropAllAsync(store, ct); return 0; });
        }
        // Keys the migration created for the target are destroyed: they never wrapped anything the hub uses.
        if (record.Target.VaultCreated && record.VaultTo is not null)
            await AtVaultAsync(record.VaultTo, "destroy the keys created for the migration", () => record.Target.Vault.Provider == "pkcs11"
                ? Pkcs11KeyVault.DestroyKeys(StoreFactory.Pkcs11Options(record.Target.Vault)) > 0
                : LocalKeyringVault.Destroy(record.Target.Vault.Path!));

        await hub.Audit.CommitWithAsync([new AuditEntry(options.Actor, "hub.migrate.abort", record.Id)], async (c, tx) =>
        {
            await using var cmd = c.Command("DELETE FROM migration_objects WHERE migration_id = @m", tx);
            cmd.AddParameter("m", record.Id);
            await cmd.ExecuteNonQueryAsync(ct);
            await MigrationRecord.SetStateAsync(c, tx, record.Id, MigrationRecord.Aborted, hub.Clock.GetUtcNow(), ct, "aborted by the operator");
            return 0;
        }, ct);
        return record.Id;
    }

    private sealed class Run(Hub.Hub hub, MigrationRecord record, MigrationRequest request)
    {
        public Hub.Hub Hub { get; } = hub;
        public MigrationRecord Record { get; } = record;
        public MigrationRequest Request { get; } = request;
        public ConcurrentDictionary<string, byte> VerifiedThisRun { get; } = new(StringComparer.Ordinal);
        public ConcurrentBag<string> CopiedKeys { get; } = [];
        public long Copied, Rechecked, Recognized, BytesCopied, Removed;

        public Dictionary<string, string> Details() => new()
        {
            ["copied"] = Interlocked.Read(ref Copied).ToString(), ["rechecked"] = Interlocked.Read(ref Rechecked).ToString(),
            ["recognized"] = Interlocked.Read(ref Recognized).ToString(), ["bytesCopied"] = Interlocked.Read(ref BytesCopied).ToString(),
            ["removedAtTarget"] = Interlocked.Read(ref Removed).ToString(),
        };

        public MigrationResult Result(string state, bool resumed, bool switched) =>
            new(Record.Id, state, Record.ObjectsTo, Record.MetadataTo, Record.VaultTo, Copied, Rechecked, Recognized, BytesCopied, Removed, resumed, switched, [.. CopiedKeys]);
    }
}

/// <summary>What to migrate to; with no target, resumes the migration in progress.</summary>
public sealed record MigrationRequest
{
    /// <summary>The declared <c>objects</c> location the sealed objects move to.</summary>
    public string? ObjectsTo { get; init; }

    /// <summary>The declared <c>metadata</c> location the metadata moves to (null: it stays).</summary>
    public string? MetadataTo { get; init; }

    /// <summary>A declared <c>vault</c> location or a keyring path the keys move to (null: the vault stays).</summary>
    public string? Vault { get; init; }

    /// <summary>Switch once copied (default); false stops at <c>copied</c>, the hub untouched.</summary>
    public bool Switch { get; init; } = true;

    /// <summary>How to open the hub on its new stores (modules' migrations, passphrase, clock).</summary>
    public HubOpenOptions OpenOptions { get; init; } = new();

    public OperationOptions Options { get; init; } = new();

    /// <summary>A bandwidth limit for the copies, in bytes per second (null: as fast as the stores go).</summary>
    public long? MaxBytesPerSecond { get; init; }

    /// <summary>Called at each step (<c>object.copied</c>, <c>object.verified</c>, <c>progress.flushed</c>, <c>copied</c>,
    /// <c>switch.locked</c>, <c>switch.metadata-copied</c>, <c>switch.journal-written</c>, <c>switch.committed</c>); tests
    /// throw from it to stop a run where a crash would.</summary>
    public Action<string, string?>? Hook { get; init; }
}

/// <param name="Copied">objects copied by this run.</param>
/// <param name="Rechecked">objects verified by an earlier run, checked again at the target (not copied).</param>
/// <param name="Recognized">objects an interrupted run had copied without recording them, recognized by digest (not copied).</param>
/// <param name="CopiedKeys">the keys this run copied.</param>
public sealed record MigrationResult(
    string Id, string State, string ObjectsTo, string? MetadataTo, string? VaultTo,
    long Copied, long Rechecked, long Recognized, long BytesCopied, long RemovedAtTarget, bool Resumed, bool Switched,
    IReadOnlyList<string> CopiedKeys);

/// <param name="VaultObjectsDestroyed">key objects destroyed in the old vault (a keyring file counts as one; 0 when the vault stayed).</param>
public sealed record FinalizeResult(string Id, IReadOnlyList<string> Erased, long ObjectsDeleted, IReadOnlyList<string> Notes, long VaultObjectsDestroyed = 0);
