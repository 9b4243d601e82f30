using System.Text.Json;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Keys;
using Hygie.Storage.Metadata;
using Hygie.Storage.Objects;
using Hygie.Storage.Operations.Backup;

namespace Hygie.Storage.Operations;

/// <summary>
/// <c>hygie verify</c>: proves a hub whole — every live data key unwraps under the vault, every sealed object unseals
/// and authenticates to its seal digest, every object the last restore brought back is present with the bytes its
/// backup manifest lists, and the audit chain verifies against the vault's audit key. Stops at the first failure and
/// names it.
/// </summary>
public static class HubVerifier
{
    /// <summary>Verifies the hub and records the outcome in its audit log.</summary>
    public static async Task<VerifyResult> RunAsync(Hub.Hub hub, OperationOptions? options = null, CancellationToken ct = default)
    {
        options ??= new OperationOptions();
        var result = await CheckAsync(hub, options, ct);
        await hub.Audit.AppendAsync(new AuditEntry(options.Actor, "hub.verify", hub.HubId, result.Intact ? AuditOutcome.Success : AuditOutcome.Failed,
            result.Failure, new Dictionary<string, string>
            {
                ["objects"] = result.Objects.ToString(), ["shredded"] = result.ShreddedObjects.ToString(), ["keys"] = result.LiveKeys.ToString(),
                ["auditEvents"] = result.AuditEvents.ToString(),
            }), ct);
        return result;
    }

    private static async Task<VerifyResult> CheckAsync(Hub.Hub hub, OperationOptions options, CancellationToken ct)
    {
        long verified = 0, shredded = 0, bytes = 0, done = 0;
        IReadOnlyDictionary<string, BackupEntry> expected = new Dictionary<string, BackupEntry>();

        // 1. Keys: each live data key unwraps under the vault's root key that wrapped it.
        var keys = await hub.Keys.ListAsync(ct);
        var live = keys.Where(k => k.Destroyed is null).ToList();
        foreach (var key in live)
        {
            try { await hub.Keys.GetAsync(key.Id, ct); }
            catch (IntegrityException e) { return Fail($"data key {key.Id} does not unwrap: {e.Message}", key.Id); }
        }

        // 2. Objects listed by the last restore: present, with the bytes the backup manifest lists.
        expected = await RestoredObjectsAsync(hub, ct);
        foreach (var (objectKey, entry) in expected)
        {
            ObjectDigest digest;
            try { digest = await ObjectTransfer.DigestAsync(hub.Objects, objectKey, ct); }
            catch (NotFoundException) { return Fail($"object '{objectKey}' listed in the restored backup's manifest is missing from the object store", objectKey); }
            if (digest.Sha256 != entry.Sha256 || digest.Length != entry.Size)
                return Fail($"object '{objectKey}' does not match the restored backup's manifest (sha256 {digest.Sha256[..16]}…, expected {entry.Sha256[..16]}…)", objectKey);
        }

        // 3. Every sealed object unseals: each chunk authenticates, the seal digest is recomputed.
        var objects = new List<StoredObject>();
        await foreach (var o in hub.Objects.ListAsync("", ct)) objects.Add(o);
        string? failure = null, failed = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            await Parallel.ForEachAsync(objects.OrderBy(o => o.Key, StringComparer.Ordinal), new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = stop.Token }, async (o, token) =>
            {
                try
                {
                    await hub.Sealed.VerifyAsync(o.Key, token);
                    Interlocked.Increment(ref verified);
                    Interlocked.Add(ref bytes, o.Length);
                }
                catch (KeyDestroyedException)
                {
                    Interlocked.Increment(ref shredded); // crypto-shredded on purpose: unreadable is the expected state
                }
                catch (HygieException e)
                {
                    lock (objects)
                        if (failed is null || string.CompareOrdinal(o.Key, failed) < 0) { failed = o.Key; failure = e.Message; }
                    await stop.CancelAsync();
                }
                options.Progress?.Report(new OperationProgress("objects", Interlocked.Increment(ref done), objects.Count, Interlocked.Read(ref bytes), o.Key));
            });
        }
        catch (OperationCanceledException) when (failed is not null && !ct.IsCancellationRequested) { }
        if (failed is not null) return Fail($"object '{failed}' does not verify: {failure}", failed);

        // 4. The audit chain, exported through a pipe (never to disk) and verified with the vault's audit key.
        var audit = await hub.Audit.VerifyAsync(hub.Vault.SigningPublicKey, ct);
        if (!audit.Intact) return Fail($"the audit chain is broken: {audit.Problem}", audit.BrokenSeq is { } seq ? $"audit event {seq}" : "audit chain");

        return new VerifyResult(true, live.Count, keys.Count - live.Count, verified, shredded, bytes, expected.Count, audit.Events, audit.Checkpoints,
            audit.KeyFingerprint, null, null);

        VerifyResult Fail(string problem, string what) => new(false, live.Count, keys.Count - live.Count, verified, shredded, bytes, expected.Count, 0, 0, null, problem, what);
    }

    private static async Task<IReadOnlyDictionary<string, BackupEntry>> RestoredObjectsAsync(Hub.Hub hub, CancellationToken ct)
    {
        await using var connection = await hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = connection.Command("SELECT manifest FROM restores ORDER BY restored_at DESC LIMIT 1");
        if (await cmd.ExecuteScalarAsync(ct) is not string json) return new Dictionary<string, BackupEntry>();
        var manifest = JsonSerializer.Deserialize<BackupManifest>(json, BackupManifest.Json)!;
        return manifest.Entries.Where(e => e.Kind == "object" && e.ObjectKey is not null).ToDictionary(e => e.ObjectKey!, e => e);
    }
}

/// <param name="Failure">what failed first, in one line; null when intact.</param>
/// <param name="FailedItem">the object, key or audit event that failed.</param>
public sealed record VerifyResult(
    bool Intact, int LiveKeys, int DestroyedKeys, long Objects, long ShreddedObjects, long Bytes, int RestoredObjectsChecked,
    long AuditEvents, long AuditCheckpoints, string? AuditKeyFingerprint, string? Failure, string? FailedItem);
