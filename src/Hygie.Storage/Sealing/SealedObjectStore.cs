using Hygie.Storage.Keys;
using Hygie.Storage.Objects;

namespace Hygie.Storage.Sealing;

/// <summary>Seals and unseals objects in the object store under data keys from the key ring.</summary>
public sealed class SealedObjectStore(IObjectStore objects, KeyRing keys)
{
    public IObjectStore Objects => objects;

    /// <summary>
    /// Seals what <paramref name="write"/> writes into object <paramref name="objectId"/>, under data key
    /// <paramref name="dataKeyId"/>. The object appears only if <paramref name="write"/> completes.
    /// </summary>
    /// <param name="chunkSize">the plaintext bytes per sealed chunk: the unit a <see cref="SealedRandomAccessStream"/> fetches.</param>
    public async Task<SealedObjectInfo> WriteAsync(string objectId, string dataKeyId, Func<Stream, CancellationToken, Task> write, CancellationToken ct = default,
        int chunkSize = SealedFormat.DefaultChunkSize)
    {
        var key = await keys.GetAsync(dataKeyId, ct);
        await using var target = await objects.OpenWriteAsync(objectId, ct);
        string digest;
        long plain, cipher;
        using (var sealing = new SealingStream(new BufferedStream(target, 1 << 20), objectId, dataKeyId, key, chunkSize))
        {
            await write(sealing, ct);
            digest = sealing.Finish();
            plain = sealing.PlaintextLength;
            cipher = sealing.CiphertextLength;
        }
        await target.CommitAsync(ct);
        return new SealedObjectInfo(objectId, dataKeyId, plain, cipher, digest);
    }

    /// <summary>
    /// Opens a sealed write into object <paramref name="objectId"/> under data key <paramref name="dataKeyId"/>, for callers
    /// that fill several objects at once (a FHIR deposit writes one object per resource type and table). The object
    /// appears only when <see cref="SealedObjectWriter.CommitAsync"/> succeeds; disposing the writer before discards it.
    /// </summary>
    public async Task<SealedObjectWriter> OpenWriteAsync(string objectId, string dataKeyId, int chunkSize = SealedFormat.DefaultChunkSize, CancellationToken ct = default)
    {
        var key = await keys.GetAsync(dataKeyId, ct);
        var target = await objects.OpenWriteAsync(objectId, ct);
        try
        {
            var buffered = new BufferedStream(target, Math.Min(chunkSize + SealedFormat.TagSize, 1 << 20));
            return new SealedObjectWriter(target, buffered, new SealingStream(buffered, objectId, dataKeyId, key, chunkSize), objectId, dataKeyId);
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens a sealed object for reading; the data key is the one its header names.</summary>
    public async Task<UnsealingStream> OpenReadAsync(string objectId, CancellationToken ct = default)
    {
        var source = await objects.OpenReadAsync(objectId, ct);
        try
        {
            return await UnsealingStream.OpenAsync(new BufferedStream(source, 1 << 20), objectId, id => keys.GetAsync(id, ct));
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens a sealed object for reading parts of it (seekable); the data key is the one its header names.</summary>
    public Task<SealedRandomAccessStream> OpenRandomAccessAsync(string objectId, CancellationToken ct = default) =>
        SealedRandomAccessStream.OpenAsync(objects, objectId, id => keys.GetAsync(id, ct), ct);

    /// <summary>Unseals the whole object, authenticating every chunk, and returns its seal digest.</summary>
    public async Task<string> VerifyAsync(string objectId, CancellationToken ct = default)
    {
        using var stream = await OpenReadAsync(objectId, ct);
        return stream.VerifyToEnd();
    }
}

public sealed record SealedObjectInfo(string ObjectId, string DataKeyId, long PlaintextLength, long CiphertextLength, string SealDigest);
