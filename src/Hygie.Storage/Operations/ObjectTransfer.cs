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
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException or TimeoutException)
        {
            throw new HubStateException($"location '{location}': cannot {what}: {e.Message}", "location-unavailable", e);
        }
    }
}

public sealed record ObjectDigest(long Length, string Sha256);
