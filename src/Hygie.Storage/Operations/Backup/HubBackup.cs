using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Hygie.Storage.Metadata;
using Hygie.Storage.Objects;
using Hygie.Storage.Sealing;

namespace Hygie.Storage.Operations.Backup;

/// <summary>
/// <c>hygie backup --to LOCATION</c>: an encrypted, consistent, incremental backup in a provider-neutral layout:
/// <code>
/// backups/&lt;id&gt;/manifest.json                    signed manifest (entries, Merkle root, wrapped backup key)
/// backups/&lt;id&gt;/metadata/&lt;table&gt;.jsonl.sealed   each metadata table as JSON lines, sealed under the backup key
/// backups/objects/&lt;aa&gt;/&lt;sha256&gt;               sealed objects, copied as ciphertext, shared between backups
/// </code>
/// The metadata is read in one snapshot; objects are copied as stored (never unsealed) and skipped when the previous
/// backup already holds the same bytes. The placement policy is asked before anything is written.
/// </summary>
public static class HubBackup
{
    public static async Task<BackupResult> RunAsync(Hub.Hub hub, string locationName, OperationOptions? options = null, CancellationToken ct = default)
    {
        options ??= new OperationOptions();
        DeclaredLocation location;
        try
        {
            location = await hub.Placement.EnsureHubDataAllowedAsync(locationName, "backup", LocationKinds.Backup, ct);
        }
        catch (PolicyViolationException e)
        {
            await hub.Audit.AppendAsync(new AuditEntry(options.Actor, "hub.backup", locationName, AuditOutcome.Refused, e.Message), ct);
            throw;
        }

        var target = await ObjectTransfer.AtLocationAsync(location.Name, "open the backup store",
            () => Task.FromResult(StoreFactory.OpenObjects(hub.DataDirectory, location.ToStoreConfig())));
        var started = hub.Clock.GetUtcNow();
        var id = $"{started.UtcDateTime:yyyyMMdd't'HHmmss'z'}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        // What this run wrote at the location, removed again if it fails: a failed backup leaves nothing half-written
        // (and gives back the space a full disk needs).
        var written = new ConcurrentBag<string>();
        try
        {
            var previous = await LatestManifestAsync(target, location.Name, hub.HubId, hub.Vault.SigningPublicKey, ct);

            // A fresh key for this backup's metadata, wrapped by the vault's root key; the key itself is never written.
            var backupKey = RandomNumberGenerator.GetBytes(32);
            var rootKeyId = hub.Vault.RootKeyId;
            var wrapped = hub.Vault.WrapKey(backupKey, BackupManifest.KeyContext(id), rootKeyId);
            var keyId = "backup-" + id;

            var entries = new ConcurrentBag<BackupEntry>();
            var (tables, schema, auditHead) = await WriteMetadataAsync(hub, target, location.Name, id, keyId, backupKey, entries, written, options, ct);
            CryptographicOperations.ZeroMemory(backupKey);

            // Objects listed after the snapshot: everything the snapshot refers to is already there (objects are written before their rows).
            var stats = await CopyObjectsAsync(hub.Objects, target, location.Name, previous, entries, written, options, ct);

            var list = entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
            var manifest = new BackupManifest
            {
                Id = id,
                HubId = hub.HubId,
                HubCreatedAt = hub.Config.CreatedAt,
                CreatedAt = started,
                Previous = previous?.Id,
                Location = location.Name,
                Stores = hub.Locations.HubStores,
                Key = new BackupKey(keyId, rootKeyId, Convert.ToBase64String(wrapped)),
                Schema = schema,
                Tables = tables,
                Audit = auditHead,
                Entries = list,
                MerkleRoot = MerkleTree.Root(list.Select(e => (e.Path, e.Size, e.Sha256))),
                Stats = stats,
            }.Sign(hub.Vault);
            var bytes = manifest.ToBytes();
            await ObjectTransfer.AtLocationAsync(location.Name, "write the backup manifest", async () =>
            {
                await using var write = await target.OpenWriteAsync(BackupManifest.PathOf(id), ct);
                await write.WriteAsync(bytes, ct);
                await write.CommitAsync(ct);
                return 0;
            });

            var manifestSha = Convert.ToHexStringLower(SHA256.HashData(bytes));
            await hub.Audit.CommitWithAsync([new AuditEntry(options.Actor, "hub.backup", location.Name, Details: new Dictionary<string, string>
            {
                ["backup"] = id, ["previous"] = previous?.Id ?? "", ["merkleRoot"] = manifest.MerkleRoot, ["manifestSha256"] = manifestSha,
                ["objects"] = stats.Objects.ToString(), ["objectsCopied"] = stats.ObjectsCopied.ToString(), ["bytesCopied"] = stats.BytesCopied.ToString(),
                ["rootKey"] = rootKeyId,
            })], async (c, tx) =>
            {
                await using var cmd = c.Command(
                    """
                    INSERT INTO backups (id, location, created_at, previous_id, manifest_sha256, merkle_root, root_key_id, objects, objects_copied, bytes_copied, audit_seq)
                    VALUES (@id, @loc, @at, @prev, @sha, @root, @key, @n, @copied, @bytes, @seq)
                    """, tx);
                cmd.AddParameter("id", id).AddParameter("loc", location.Name).AddParameter("at", started.ToString("O")).AddParameter("prev", previous?.Id)
                   .AddParameter("sha", manifestSha).AddParameter("root", manifest.MerkleRoot).AddParameter("key", rootKeyId)
                   .AddParameter("n", stats.Objects).AddParameter("copied", stats.ObjectsCopied).AddParameter("bytes", stats.BytesCopied)
                   .AddParameter("seq", auditHead.LastSeq);
                return await cmd.ExecuteNonQueryAsync(ct);
            }, ct);
            return new BackupResult(id, location.Name, BackupManifest.PathOf(id), previous?.Id, manifest.MerkleRoot, tables.Count,
                tables.Sum(t => t.Rows), stats);
        }
        catch (Exception e) when (e is not HygieException and not OperationCanceledException)
        {
            await RemoveAsync(target, written);
            await hub.Audit.AppendAsync(new AuditEntry(options.Actor, "hub.backup", location.Name, AuditOutcome.Failed, e.GetType().Name), CancellationToken.None);
            throw;
        }
        catch (HygieException e)
        {
            var left = await RemoveAsync(target, written);
            await hub.Audit.AppendAsync(new AuditEntry(options.Actor, "hub.backup", location.Name, AuditOutcome.Failed, e.Message,
                Details: new Dictionary<string, string> { ["backup"] = id, ["removed"] = (written.Count - left).ToString(), ["left"] = left.ToString() }), CancellationToken.None);
            throw;
        }
        catch (OperationCanceledException)
        {
            await RemoveAsync(target, written);
            throw;
        }
    }

    /// <summary>Deletes what a failed run wrote; returns how many could not be deleted (the location may be gone), never throws.</summary>
    private static async Task<int> RemoveAsync(IObjectStore target, IEnumerable<string> keys)
    {
        var left = 0;
        foreach (var key in keys)
        {
            try { await target.DeleteAsync(key, CancellationToken.None); }
            catch (Exception e) when (e is HygieException or IOException or UnauthorizedAccessException) { left++; }
        }
        return left;
    }

    /// <summary>The manifests in a backup location, newest first (signature checked; unreadable ones left out).</summary>
    public static async Task<IReadOnlyList<BackupManifest>> ListAsync(IObjectStore store, string locationName, CancellationToken ct = default)
    {
        var manifests = new List<BackupManifest>();
        var keys = await ObjectTransfer.AtLocationAsync(locationName, "list the backups", async () =>
        {
            var list = new List<string>();
            await foreach (var o in store.ListAsync("backups/", ct))
                if (o.Key.EndsWith("/manifest.json", StringComparison.Ordinal) && o.Key.Count(c => c == '/') == 2) list.Add(o.Key);
            return list;
        });
        foreach (var key in keys)
        {
            try { manifests.Add(await ReadManifestAsync(store, locationName, key, ct)); }
            catch (IntegrityException) { }
        }
        return manifests.OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id, StringComparer.Ordinal).ToList();
    }

    public static async Task<BackupManifest> ReadManifestAsync(IObjectStore store, string locationName, string key, CancellationToken ct)
    {
        var bytes = await ObjectTransfer.AtLocationAsync(locationName, $"read {key}", async () =>
        {
            await using var stream = await store.OpenReadAsync(key, ct);
            using var memory = new MemoryStream();
            await stream.CopyToAsync(memory, ct);
            return memory.ToArray();
        });
        return BackupManifest.ParseVerified(bytes, $"location '{locationName}': {key}");
    }

    private static async Task<BackupManifest?> LatestManifestAsync(IObjectStore target, string locationName, string hubId, byte[] trustedKey, CancellationToken ct)
    {
        var trusted = Convert.ToBase64String(trustedKey);
        return (await ListAsync(target, locationName, ct)).FirstOrDefault(m => m.HubId == hubId && m.Signature!.PublicKey == trusted);
    }

    private static async Task<(List<BackupTable>, Dictionary<string, int>, BackupAudit)> WriteMetadataAsync(
        Hub.Hub hub, IObjectStore target, string locationName, string id, string keyId, byte[] key,
        ConcurrentBag<BackupEntry> entries, ConcurrentBag<string> written, OperationOptions options, CancellationToken ct)
    {
        await using var connection = await hub.Metadata.OpenConnectionAsync(ct);
        await using var tx = await MetadataTables.BeginSnapshotAsync(connection, ct);
        var schema = await MetadataTables.VersionsAsync(connection, tx, ct);
        var names = await MetadataTables.ListAsync(connection, tx, hub.Metadata.Dialect, ct);
        BackupAudit audit;
        await using (var cmd = connection.Command("SELECT seq, hash FROM audit_head WHERE id = 1", tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            audit = new BackupAudit(reader.GetInt64Value(0), reader.GetString(1));
        }

        var tables = new List<BackupTable>();
        var done = 0;
        foreach (var name in names)
        {
            var columns = await MetadataTables.ColumnsAsync(connection, tx, name, ct);
            var path = BackupManifest.TablePath(id, name);
            long rows = 0;
            var digest = await ObjectTransfer.AtLocationAsync(locationName, $"write {path}", async () =>
            {
                await using var write = await target.OpenWriteAsync(path, ct);
                var hashing = new HashingStream(write);
                using (var sealing = new SealingStream(new BufferedStream(hashing, 1 << 20), path, keyId, key))
                {
                    var line = new MemoryStream();
                    await using (var w = new Utf8JsonWriter(line))
                    {
                        w.WriteStartObject();
                        w.WriteString("table", name);
                        w.WriteStartArray("columns");
                        foreach (var c in columns) w.WriteStringValue(c);
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    line.WriteByte((byte)'\n');
                    sealing.Write(line.GetBuffer(), 0, (int)line.Length);
                    await foreach (var row in MetadataTables.ReadAsync(connection, tx, name, columns, ct))
                    {
                        line.SetLength(0);
                        await using (var w = new Utf8JsonWriter(line)) RowJson.Write(w, row);
                        line.WriteByte((byte)'\n');
                        sealing.Write(line.GetBuffer(), 0, (int)line.Length);
                        rows++;
                    }
                    sealing.Finish();
                }
                await hashing.FlushAsync(ct);
                var d = hashing.Finish();
                await write.CommitAsync(ct);
                written.Add(path);
                return d;
            });
            entries.Add(new BackupEntry(path, digest.Length, digest.Sha256, "table"));
            tables.Add(new BackupTable(name, path, rows, columns));
            options.Progress?.Report(new OperationProgress("metadata", ++done, names.Count, Item: name));
        }
        return (tables, schema, audit);
    }

    private static async Task<BackupStats> CopyObjectsAsync(IObjectStore source, IObjectStore target, string locationName, BackupManifest? previous,
        ConcurrentBag<BackupEntry> entries, ConcurrentBag<string> written, OperationOptions options, CancellationToken ct)
    {
        var objects = new List<StoredObject>();
        await foreach (var o in source.ListAsync("", ct)) objects.Add(o);

        // What the previous backup already holds in this location: same bytes, same place (content-addressed). What
        // any backup holds there is never removed by a failed run, even when this run copied it again.
        var present = new HashSet<string>(StringComparer.Ordinal);
        var there = new HashSet<string>(StringComparer.Ordinal);
        await ObjectTransfer.AtLocationAsync(locationName, "list the stored objects", async () =>
        {
            await foreach (var o in target.ListAsync("backups/objects/", ct)) { present.Add($"{o.Key}:{o.Length}"); there.Add(o.Key); }
            return 0;
        });
        var reusable = previous?.Entries.Where(e => e.Kind == "object" && present.Contains($"{e.Path}:{e.Size}"))
            .Select(e => e.Sha256).ToHashSet(StringComparer.Ordinal) ?? [];

        long copied = 0, bytesCopied = 0, objectBytes = 0, done = 0, count = 0;
        await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct }, async (o, token) =>
        {
            ObjectDigest digest;
            try
            {
                digest = await ObjectTransfer.DigestAsync(source, o.Key, token);
            }
            catch (NotFoundException)
            {
                return; // deleted since it was listed (a crypto-shredded object): nothing refers to it in the snapshot's future
            }
            var path = BackupManifest.ObjectPath(digest.Sha256);
            if (!reusable.Contains(digest.Sha256))
            {
                var copy = await ObjectTransfer.AtLocationAsync(locationName, $"write {path} (object '{o.Key}')",
                    () => ObjectTransfer.CopyAsync(source, o.Key, target, path, token));
                if (!there.Contains(path)) written.Add(path);
                if (copy.Sha256 != digest.Sha256)
                    throw new IntegrityException($"object '{o.Key}' changed while it was being backed up: run the backup again", "backup-object-changed");
                Interlocked.Increment(ref copied);
                Interlocked.Add(ref bytesCopied, copy.Length);
            }
            entries.Add(new BackupEntry(path, digest.Length, digest.Sha256, "object", o.Key));
            Interlocked.Add(ref objectBytes, digest.Length);
            Interlocked.Increment(ref count);
            options.Progress?.Report(new OperationProgress("objects", Interlocked.Increment(ref done), objects.Count, Interlocked.Read(ref bytesCopied), o.Key));
        });
        return new BackupStats(count, copied, bytesCopied, objectBytes);
    }
}

public sealed record BackupResult(string Id, string Location, string ManifestPath, string? Previous, string MerkleRoot, int Tables, long Rows, BackupStats Stats);
