using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Hub;
using Hygie.Storage.Keys;
using Hygie.Storage.Locations;
using Hygie.Storage.Metadata;
using Hygie.Storage.Objects;
using Hygie.Storage.Sealing;

namespace Hygie.Storage.Operations.Backup;

/// <summary>
/// <c>hygie restore</c>: rebuilds a hub from a backup into a new data directory. Everything is checked before anything
/// is written — the manifest's signature, that the given vault holds the root key that wrapped the backup key and the
/// audit key that signed it, the Merkle root and every entry's digest — and the new hub is assembled in a sibling
/// staging directory moved into place at the end, so a refused or failed restore leaves nothing behind.
/// </summary>
public static class HubRestore
{
    public static async Task<RestoreResult> RunAsync(RestoreRequest request, CancellationToken ct = default)
    {
        var dataDirectory = Path.GetFullPath(request.DataDirectory);
        if (File.Exists(dataDirectory) || (Directory.Exists(dataDirectory) && Directory.EnumerateFileSystemEntries(dataDirectory).Any()))
            throw new HubStateException($"{dataDirectory} is not empty: restore needs a new or empty --data directory", "hub-exists");
        var parent = Path.GetDirectoryName(dataDirectory)!;
        if (!Directory.Exists(parent))
            throw new HubStateException($"the parent directory {parent} does not exist: create it first or choose another --data", "bad-data-dir");

        var source = request.Source;
        var where = $"location '{request.SourceName}'";
        BackupManifest manifest;
        if (request.BackupId is { } wanted)
        {
            if (!await ObjectTransfer.AtLocationAsync(request.SourceName, "read the backup", () => source.ExistsAsync(BackupManifest.PathOf(wanted), ct)))
                throw new NotFoundException($"{where} holds no backup '{wanted}'", "backup-not-found");
            manifest = await HubBackup.ReadManifestAsync(source, request.SourceName, BackupManifest.PathOf(wanted), ct);
        }
        else
        {
            manifest = (await HubBackup.ListAsync(source, request.SourceName, ct)).FirstOrDefault()
                       ?? throw new NotFoundException($"{where} holds no valid backup (no signed backups/<id>/manifest.json)", "backup-not-found");
        }
        var label = $"backup {manifest.Id} in {where}";

        // The vault must be the one the backup was made with: same root key, same audit key.
        if (request.Vault.Provider is not ("local-keyring" or "pkcs11"))
            throw new ValidationFailedException($"unknown vault backend '{request.Vault.Provider}': restore with a local-keyring file or a pkcs11 token", "vault");
        using var vault = StoreFactory.OpenVault(Environment.CurrentDirectory, request.Vault, request.Passphrase);
        if (!vault.ListKeys().Any(k => k.Purpose == "root" && k.Id == manifest.Key.RootKeyId))
            throw new IntegrityException(
                $"{label}: its key is wrapped by root key {manifest.Key.RootKeyId}, which this vault ({vault.Location}) does not hold: restore with the vault the backup was made with", "restore-wrong-vault");
        if (manifest.Signature!.PublicKey != Convert.ToBase64String(vault.SigningPublicKey))
            throw new IntegrityException(
                $"{label}: the manifest is signed by audit key {manifest.Signature.Fingerprint}, which this vault ({vault.Location}) does not hold: restore with the vault the backup was made with", "restore-wrong-vault");
        var known = MetadataTables.MigrationsUpTo(manifest.Schema, [.. Hub.Hub.StorageMigrations, .. request.Migrations], label);

        // Every entry, before a byte is written.
        var root = MerkleTree.Root(manifest.Entries.Select(e => (e.Path, e.Size, e.Sha256)));
        if (root != manifest.MerkleRoot)
            throw new IntegrityException($"{label}: the entries do not add up to the manifest's Merkle root", "backup-merkle");
        if (manifest.Tables.Any(t => manifest.Entries.All(e => e.Path != t.Path)))
            throw new IntegrityException($"{label}: a table is not listed among the entries", "backup-manifest");
        long checkedCount = 0;
        await Parallel.ForEachAsync(manifest.Entries, new ParallelOptions { MaxDegreeOfParallelism = request.Options.Parallelism, CancellationToken = ct }, async (entry, token) =>
        {
            ObjectDigest digest;
            try
            {
                digest = await ObjectTransfer.AtLocationAsync(request.SourceName, $"read {entry.Path}", () => ObjectTransfer.DigestAsync(source, entry.Path, token));
            }
            catch (NotFoundException)
            {
                throw new IntegrityException($"{label}: {Describe(entry)} is missing from the location: the backup is incomplete; nothing was restored", "backup-entry-missing");
            }
            if (digest.Length != entry.Size || digest.Sha256 != entry.Sha256)
                throw new IntegrityException(
                    $"{label}: {Describe(entry)} does not match the manifest (sha256 {digest.Sha256[..16]}…, {digest.Length} bytes; expected {entry.Sha256[..16]}…, {entry.Size} bytes): the backup was damaged or altered; nothing was restored",
                    "backup-entry-mismatch");
            request.Options.Progress?.Report(new OperationProgress("verify", Interlocked.Increment(ref checkedCount), manifest.Entries.Count, Item: entry.Path));
        });

        var backupKey = vault.UnwrapKey(Convert.FromBase64String(manifest.Key.Wrapped), BackupManifest.KeyContext(manifest.Id), manifest.Key.RootKeyId);

        // Where the restored hub runs, checked against the backed-up policy before anything is written.
        var policy = await ReadPolicyAsync(source, manifest, backupKey, ct);
        var sourceLocations = await ReadLocationsAsync(source, manifest, backupKey, ct);
        var newStores = new Dictionary<string, DeclaredLocation>();
        var defaults = new HubConfig { HubId = manifest.HubId, CreatedAt = manifest.HubCreatedAt };
        var restoredConfig = defaults with
        {
            Metadata = request.Stores?.Metadata is { } m ? m with { Location = null } : defaults.Metadata,
            Objects = request.Stores?.Objects is { } o ? o with { Location = null } : defaults.Objects,
            // A keyring is copied into the new hub; a token is used where it is.
            Vault = request.Vault.Provider == "local-keyring" ? defaults.Vault : request.Vault with { Location = null },
        };
        foreach (var kind in new[] { LocationKinds.Metadata, LocationKinds.Objects, LocationKinds.Vault })
        {
            var inherited = manifest.Stores.TryGetValue(kind, out var name) ? sourceLocations.FirstOrDefault(l => l.Name == name) : null;
            var site = request.Site ?? (inherited is null ? new HubSite() : new HubSite(inherited.Provider, inherited.Country, inherited.Jurisdiction, inherited.Qualifications));
            var store = kind switch { LocationKinds.Metadata => restoredConfig.Metadata, LocationKinds.Objects => restoredConfig.Objects, _ => restoredConfig.Vault };
            var settings = new Dictionary<string, string>(store.Settings ?? []);
            if (store.Path is not null) settings["path"] = store.Path;
            var location = new DeclaredLocation(DeclaredLocation.LocalName(kind), kind, site.Provider, store.Provider,
                DeclaredLocation.NormalizeCountry(site.Country), DeclaredLocation.NormalizeJurisdiction(site.Jurisdiction),
                DeclaredLocation.NormalizeQualifications(site.Qualifications), settings,
                $"the hub's own {kind} store (restored from backup {manifest.Id})", request.Clock.GetUtcNow());
            if (kind != LocationKinds.Vault)
                foreach (var classification in policy.HeldClassifications)
                    policy.ToPolicy().Check(classification, location.ToPolicyLocation(), "restore");
            newStores[kind] = location;
        }

        var staging = Path.Combine(parent, $".{Path.GetFileName(dataDirectory)}.restore-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var config = restoredConfig;
        // Production stores outside the data directory must be empty before, and are emptied again if the restore fails.
        var outside = await EnsureEmptyTargetsAsync(staging, config, ct);
        try
        {
            config.Save(staging);
            if (request.Vault.Provider == "local-keyring")
            {
                var keyringPath = Path.Combine(staging, config.Vault.Path!);
                File.Copy(Path.GetFullPath(request.Vault.Path!), keyringPath);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyringPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            long rows;
            await using (var metadata = StoreFactory.OpenMetadata(staging, config.Metadata))
            {
                await MigrationRunner.ApplyAsync(metadata, known, request.Clock, ct);
                rows = await RestoreTablesAsync(metadata, source, manifest, backupKey, newStores.Values.ToList(), request, ct);
            }

            var objects = StoreFactory.OpenObjects(staging, config.Objects);
            var objectEntries = manifest.Entries.Where(e => e.Kind == "object").ToList();
            long copied = 0, bytes = 0;
            await Parallel.ForEachAsync(objectEntries, new ParallelOptions { MaxDegreeOfParallelism = request.Options.Parallelism, CancellationToken = ct }, async (entry, token) =>
            {
                var digest = await ObjectTransfer.AtLocationAsync(request.SourceName, $"read {entry.Path}",
                    () => ObjectTransfer.CopyAsync(source, entry.Path, objects, ObjectKey.Check(entry.ObjectKey!), token));
                if (digest.Sha256 != entry.Sha256)
                    throw new IntegrityException($"{label}: {Describe(entry)} changed while it was being restored: nothing was restored", "backup-entry-mismatch");
                var total = Interlocked.Add(ref bytes, digest.Length);
                var n = Interlocked.Increment(ref copied);
                request.Options.Progress?.Report(new OperationProgress("objects", n, objectEntries.Count, total, entry.ObjectKey));
            });

            var restoreId = $"restore-{request.Clock.GetUtcNow().UtcDateTime:yyyyMMdd't'HHmmss'z'}";
            await using (var hub = await Hub.Hub.OpenAsync(staging, new HubOpenOptions { Clock = request.Clock, Passphrase = request.Passphrase, Migrations = request.Migrations }, ct))
            {
                await hub.Audit.CommitWithAsync([new AuditEntry(request.Options.Actor, "hub.restore", manifest.HubId, Details: new Dictionary<string, string>
                {
                    ["backup"] = manifest.Id, ["from"] = request.SourceName, ["merkleRoot"] = manifest.MerkleRoot,
                    ["objects"] = objectEntries.Count.ToString(), ["rows"] = rows.ToString(), ["auditSeq"] = manifest.Audit.LastSeq.ToString(),
                })], async (c, tx) =>
                {
                    await using (var cmd = c.Command("INSERT INTO restores (id, backup_id, restored_at, manifest) VALUES (@id, @b, @t, @m)", tx))
                    {
                        cmd.AddParameter("id", restoreId).AddParameter("b", manifest.Id).AddParameter("t", request.Clock.GetUtcNow().ToString("O"))
                           .AddParameter("m", Encoding.UTF8.GetString(manifest.ToBytes()));
                        await cmd.ExecuteNonQueryAsync(ct);
                    }
                    // A migration in progress in the source hub does not carry over: its copies belong to the source.
                    await using (var cmd = c.Command("UPDATE migrations SET state = 'aborted', detail = @d, updated_at = @t WHERE state IN ('copying', 'copied')", tx))
                    {
                        cmd.AddParameter("d", $"restored from backup {manifest.Id}").AddParameter("t", request.Clock.GetUtcNow().ToString("O"));
                        return await cmd.ExecuteNonQueryAsync(ct);
                    }
                }, ct);
                await hub.Audit.CheckpointAsync(ct);
            }

            if (Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory);
            Directory.Move(staging, dataDirectory);
            return new RestoreResult(manifest.HubId, manifest.Id, dataDirectory, manifest.Tables.Count, rows, objectEntries.Count, bytes, manifest.Audit.LastSeq);
        }
        catch
        {
            await ClearTargetsAsync(staging, config, outside);
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>A restore writes only into empty stores: a PostgreSQL database without tables, an S3 prefix without objects.</summary>
    private static async Task<(bool Metadata, bool Objects)> EnsureEmptyTargetsAsync(string staging, HubConfig config, CancellationToken ct)
    {
        var metadata = config.Metadata.Provider != "sqlite";
        var objects = config.Objects.Provider != "files";
        if (metadata)
        {
            await using var store = StoreFactory.OpenMetadata(staging, config.Metadata);
            var tables = await ObjectTransfer.AtLocationAsync(store.Location, "list its tables", async () =>
            {
                await using var c = await store.OpenConnectionAsync(ct);
                return await MetadataTables.ListAsync(c, null, store.Dialect, ct);
            });
            if (tables.Count > 0)
                throw new ConflictException($"the metadata store at {store.Location} already holds tables: restore needs an empty database", "target-not-empty");
        }
        if (objects)
        {
            var store = StoreFactory.OpenObjects(staging, config.Objects);
            var occupied = await ObjectTransfer.AtLocationAsync(store.Location, "list its objects", async () =>
            {
                await foreach (var _ in store.ListAsync("", ct)) return true;
                return false;
            });
            if (occupied)
                throw new ConflictException($"the object store at {store.Location} already holds objects: restore needs an empty one", "target-not-empty");
        }
        return (metadata, objects);
    }

    /// <summary>After a failed restore: what it wrote into stores outside the data directory is removed (they were empty before).</summary>
    private static async Task ClearTargetsAsync(string staging, HubConfig config, (bool Metadata, bool Objects) outside)
    {
        if (outside.Metadata)
        {
            await using var store = StoreFactory.OpenMetadata(staging, config.Metadata);
            await MetadataTables.DropAllAsync(store, CancellationToken.None);
        }
        if (outside.Objects)
        {
            var store = StoreFactory.OpenObjects(staging, config.Objects);
            var keys = new List<string>();
            await foreach (var o in store.ListAsync("", CancellationToken.None)) keys.Add(o.Key);
            foreach (var key in keys) await store.DeleteAsync(key, CancellationToken.None);
        }
    }

    private static string Describe(BackupEntry e) => e.Kind == "object" ? $"object '{e.ObjectKey}' ({e.Path})" : $"'{e.Path}'";

    private static async Task<long> RestoreTablesAsync(IMetadataStore metadata, IObjectStore source, BackupManifest manifest, byte[] key,
        IReadOnlyList<DeclaredLocation> newStores, RestoreRequest request, CancellationToken ct)
    {
        await using var connection = await metadata.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (metadata.Dialect.Name == SqlDialect.Sqlite.Name)
            await using (var defer = connection.Command("PRAGMA defer_foreign_keys = ON", tx)) await defer.ExecuteNonQueryAsync(ct);
        long total = 0;
        var existing = await MetadataTables.ListAsync(connection, tx, metadata.Dialect, ct);
        var done = 0;
        foreach (var table in manifest.Tables)
        {
            if (!existing.Contains(table.Name, StringComparer.OrdinalIgnoreCase))
                throw new HubStateException($"backup {manifest.Id}: table '{table.Name}' is not created by any migration this hygie knows", "schema-unknown");
            var entry = manifest.Entries.First(e => e.Path == table.Path);
            total += await MetadataTables.ReplaceAsync(connection, tx, table.Name, table.Columns, ReadRowsAsync(source, request.SourceName, manifest, table, entry, key, ct), ct);
            request.Options.Progress?.Report(new OperationProgress("metadata", ++done, manifest.Tables.Count, Item: table.Name));
        }
        // The restored hub's own stores are here now.
        foreach (var location in newStores)
        {
            await using var cmd = connection.Command(
                """
                INSERT INTO locations (name, kind, provider, backend, country, jurisdiction, qualifications, settings, description, declared_at, erased_at)
                VALUES (@n, @k, @p, @b, @c, @j, @q, @s, @d, @t, NULL)
                ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, provider = excluded.provider, backend = excluded.backend, country = excluded.country,
                    jurisdiction = excluded.jurisdiction, qualifications = excluded.qualifications, settings = excluded.settings,
                    description = excluded.description, declared_at = excluded.declared_at, erased_at = NULL
                """, tx);
            cmd.AddParameter("n", location.Name).AddParameter("k", location.Kind).AddParameter("p", location.Provider).AddParameter("b", location.Backend)
               .AddParameter("c", location.Country).AddParameter("j", location.Jurisdiction).AddParameter("q", string.Join(",", location.Qualifications))
               .AddParameter("s", JsonSerializer.Serialize(location.Settings)).AddParameter("d", location.Description).AddParameter("t", location.DeclaredAt.ToString("O"));
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await MetadataTables.FixIdentitiesAsync(connection, tx, metadata.Dialect, ct);
        await tx.CommitAsync(ct);
        return total;
    }

    /// <summary>The rows of one backed-up table, unsealed under the backup key and checked against its entry digest as they stream.</summary>
    private static async IAsyncEnumerable<object?[]> ReadRowsAsync(IObjectStore source, string sourceName, BackupManifest manifest, BackupTable table,
        BackupEntry entry, byte[] key, [EnumeratorCancellation] CancellationToken ct)
    {
        var where = $"backup {manifest.Id}: '{table.Path}'";
        await using var raw = await ObjectTransfer.AtLocationAsync(sourceName, $"read {table.Path}", () => source.OpenReadAsync(table.Path, ct));
        var hashing = new HashingStream(raw);
        using var unsealing = await UnsealingStream.OpenAsync(new BufferedStream(hashing, 1 << 20), table.Path, id =>
            id == manifest.Key.Id ? Task.FromResult(key) : throw new IntegrityException($"{where} is sealed under key {id}, not this backup's key", "backup-key"));
        using var reader = new StreamReader(unsealing, new UTF8Encoding(false, true));
        var header = await reader.ReadLineAsync(ct) ?? throw new IntegrityException($"{where} is empty", "backup-table");
        using (var doc = JsonDocument.Parse(header))
        {
            var columns = doc.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()!).ToList();
            if (doc.RootElement.GetProperty("table").GetString() != table.Name || !columns.SequenceEqual(table.Columns))
                throw new IntegrityException($"{where} does not hold table '{table.Name}' as the manifest describes it", "backup-table");
        }
        long count = 0;
        string? line;
        while ((line = await reader.ReadLineAsync(ct)) is not null)
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            yield return RowJson.Read(doc.RootElement, table.Columns.Count, where);
            count++;
        }
        var digest = hashing.Finish();
        if (digest.Sha256 != entry.Sha256)
            throw new IntegrityException($"{where} changed while it was being restored", "backup-entry-mismatch");
        if (count != table.Rows)
            throw new IntegrityException($"{where} holds {count} rows, the manifest says {table.Rows}", "backup-table");
    }

    private static async Task<PolicyDocument> ReadPolicyAsync(IObjectStore source, BackupManifest manifest, byte[] key, CancellationToken ct)
    {
        var table = manifest.Tables.FirstOrDefault(t => t.Name == "placement_policy");
        if (table is null) return PolicyDocument.Default;
        var entry = manifest.Entries.First(e => e.Path == table.Path);
        var i = IndexOf(table, "document");
        await foreach (var row in ReadRowsAsync(source, manifest.Location, manifest, table, entry, key, ct))
            if (row[i] is string json) return PolicyDocument.Parse(json, $"backup {manifest.Id}: the placement policy");
        return PolicyDocument.Default;
    }

    private static async Task<IReadOnlyList<DeclaredLocation>> ReadLocationsAsync(IObjectStore source, BackupManifest manifest, byte[] key, CancellationToken ct)
    {
        var list = new List<DeclaredLocation>();
        var table = manifest.Tables.FirstOrDefault(t => t.Name == "locations");
        if (table is null) return list;
        var entry = manifest.Entries.First(e => e.Path == table.Path);
        await foreach (var row in ReadRowsAsync(source, manifest.Location, manifest, table, entry, key, ct))
        {
            string S(string column) => row[IndexOf(table, column)] as string ?? "";
            list.Add(new DeclaredLocation(S("name"), S("kind"), S("provider"), S("backend"), S("country"), S("jurisdiction"),
                S("qualifications").Split(',', StringSplitOptions.RemoveEmptyEntries), new Dictionary<string, string>(), null, default));
        }
        return list;
    }

    private static int IndexOf(BackupTable table, string column)
    {
        var i = table.Columns.ToList().FindIndex(c => string.Equals(c, column, StringComparison.OrdinalIgnoreCase));
        return i >= 0 ? i : throw new IntegrityException($"backup table '{table.Name}' has no column '{column}'", "backup-table");
    }
}

/// <summary>What to restore from, where to, and with which vault.</summary>
public sealed record RestoreRequest
{
    /// <summary>The backup location's object store, opened by the caller.</summary>
    public required IObjectStore Source { get; init; }

    /// <summary>The backup location's name or path, for messages.</summary>
    public required string SourceName { get; init; }

    /// <summary>The new hub's data directory: must not exist or be empty.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// The vault the backup was made with: a keyring file (<see cref="Keyring"/>), copied into the new hub, or a PKCS#11
    /// token (provider <c>pkcs11</c>), which the new hub uses where it is.
    /// </summary>
    public required StoreConfig Vault { get; init; }

    /// <summary>Where the restored hub's metadata and objects go (PostgreSQL, S3: empty stores); null parts stay embedded in the data directory.</summary>
    public StoreChoice? Stores { get; init; }

    /// <summary>A keyring file as the restore's vault.</summary>
    public static StoreConfig Keyring(string path) => new() { Provider = "local-keyring", Path = Path.GetFullPath(path) };

    /// <summary>The backup to restore; null: the newest valid one.</summary>
    public string? BackupId { get; init; }

    /// <summary>Where the restored hub runs; null keeps what the backed-up hub declared for its stores.</summary>
    public HubSite? Site { get; init; }

    public string? Passphrase { get; init; } = Environment.GetEnvironmentVariable(LocalKeyringVault.PassphraseVariable);

    /// <summary>The modules' migrations (the storage layer's are added).</summary>
    public IReadOnlyList<Migration> Migrations { get; init; } = [];

    public TimeProvider Clock { get; init; } = TimeProvider.System;
    public OperationOptions Options { get; init; } = new();
}

public sealed record RestoreResult(string HubId, string BackupId, string DataDirectory, int Tables, long Rows, long Objects, long Bytes, long AuditEvents);
