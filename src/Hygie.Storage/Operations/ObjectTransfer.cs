using System.Buffers;
using System.Security.Cryptography;
using Hygie.Core.Errors;
using Hygie.Storage.Objects;

namespace Hygie.Storage.Operations;

/// <summary>Moves stored bytes between object stores as they are (ciphertext stays ciphertext), hashing on the way.</summary>
public static class ObjectTransfer
{
    private const int BufferSize = 1 << 20;

    /// <summary>Copies <paramref name="fromKey"/> to <paramref name="toKey"/>; the target object appears only when complete.</summary>
    public static async Task<ObjectDigest> CopyAsync(IObjectStore from, string fromKey, IObjectStore to, string toKey, CancellationToken ct)
    {
        await using var source = await from.OpenReadAsync(fromKey, ct);
        await using var target = await to.OpenWriteAsync(toKey, ct);
        var digest = await PumpAsync(source, target, ct);
        await target.CommitAsync(ct);
        return digest;
    }

    /// <summary>
    /// Copies an object as fast as the stores allow: directly when the target can take it from the source itself
    /// (<see cref="IObjectCopyTarget"/>; returns null), streamed otherwise (returns the digest of the streamed bytes).
    /// Prove the copy with <see cref="CheckCopyAsync"/>.
    /// </summary>
    /// <param name="deferDurability">a direct copy may wait for <see cref="IObjectCopyTarget.MakeDurableAsync"/> to survive a power loss.</param>
    public static async Task<ObjectDigest?> CopyFastAsync(IObjectStore from, string fromKey, IObjectStore to, string toKey, bool deferDurability, CancellationToken ct)
    {
        if (to is IObjectCopyTarget direct && await direct.TryCopyFromAsync(from, fromKey, toKey, deferDurability, ct))
            return null;
        return await CopyAsync(from, fromKey, to, toKey, ct);
    }

    /// <summary>
    /// Whether the target now holds the source's bytes: compared byte for byte after a direct copy (the digest's
    /// <see cref="ObjectDigest.Sha256"/> is then empty: nothing was hashed), the target hashed against
    /// <paramref name="streamed"/> otherwise. Returns the target's digest, or null when it differs.
    /// </summary>
    public static async Task<ObjectDigest?> CheckCopyAsync(IObjectStore from, string fromKey, IObjectStore to, string toKey, ObjectDigest? streamed, CancellationToken ct)
    {
        if (streamed is null)
        {
            var (same, there) = await CompareAsync(from, fromKey, to, toKey, hash: false, ct);
            return same ? there : null;
        }
        var check = await DigestAsync(to, toKey, ct);
        return check == streamed ? check : null;
    }

    /// <summary>Whether two objects hold the same bytes (compared, not hashed), and the length (and SHA-256 when <paramref name="hash"/>) of the second.</summary>
    public static async Task<(bool Same, ObjectDigest Digest)> CompareAsync(IObjectStore a, string keyA, IObjectStore b, string keyB, bool hash, CancellationToken ct)
    {
        if (!hash && a is FileObjectStore fa && b is FileObjectStore fb)
        {
            var (same, length) = fa.CompareWith(keyA, fb, keyB);
            return (same, new ObjectDigest(length, ""));
        }
        var left = ArrayPool<byte>.Shared.Rent(BufferSize);
        var right = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            await using var sa = await a.OpenReadAsync(keyA, ct);
            await using var sb = await b.OpenReadAsync(keyB, ct);
            using var sha = hash ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
            long length = 0;
            var same = true;
            while (true)
            {
                var nb = await sb.ReadAtLeastAsync(right.AsMemory(0, BufferSize), BufferSize, throwOnEndOfStream: false, ct);
                sha?.AppendData(right, 0, nb);
                length += nb;
                if (same)
                {
                    var na = await sa.ReadAtLeastAsync(left.AsMemory(0, BufferSize), BufferSize, throwOnEndOfStream: false, ct);
                    same = na == nb && left.AsSpan(0, na).SequenceEqual(right.AsSpan(0, nb));
                }
                if (nb < BufferSize) break;
            }
            return (same, new ObjectDigest(length, sha is null ? "" : Convert.ToHexStringLower(sha.GetHashAndReset())));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(left);
            ArrayPool<byte>.Shared.Return(right);
        }
    }

    /// <summary>SHA-256 and length of an object's stored bytes.</summary>
    public static async Task<ObjectDigest> DigestAsync(IObjectStore store, string key, CancellationToken ct)
    {
        await using var source = await store.OpenReadAsync(key, ct);
        return await PumpAsync(source, null, ct);
    }

    /// <summary>SHA-256 and length of a stream, copied into <paramref name="sink"/> when given.</summary>
    public static async Task<ObjectDigest> PumpAsync(Stream source, Stream? sink, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            int n;
            while ((n = await source.ReadAsync(buffer.AsMemory(0, BufferSize), ct)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                if (sink is not null) await sink.WriteAsync(buffer.AsMemory(0, n), ct);
                length += n;
            }
            return new ObjectDigest(length, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Runs a store operation, turning low-level failures into one line naming the location.</summary>
    public static async Task<T> AtLocationAsync<T>(string location, string what, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is not HygieException and not OperationCanceledException)
        {
            // Unreachable, refused credentials, a full disk…: whatever the backend says, said about the location.
            throw new HubStateException($"location '{location}': cannot {what}: {e.Message}", "location-unavailable", e);
        }
        catch (HubStateException e) when (!e.Message.StartsWith("location '", StringComparison.Ordinal))
        {
            // A store's own diagnosis (refused credentials, a wrong PIN) names its endpoint or token: say which location it is too.
            throw new HubStateException($"location '{location}': {e.Message}", e.Code, e);
        }
    }
}

/// <param name="Sha256">hex SHA-256 of the bytes; empty when they were compared byte for byte instead of hashed.</param>
public sealed record ObjectDigest(long Length, string Sha256);
