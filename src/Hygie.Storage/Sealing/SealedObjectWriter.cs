using Hygie.Storage.Objects;

namespace Hygie.Storage.Sealing;

/// <summary>
/// A sealed object being written (<see cref="SealedObjectStore.OpenWriteAsync"/>): write plaintext to <see cref="Stream"/>,
/// then <see cref="CommitAsync"/> seals the last chunk and makes the object visible. Disposing it uncommitted discards
/// everything written.
/// </summary>
public sealed class SealedObjectWriter : IAsyncDisposable
{
    private readonly ObjectWriteStream _target;
    private readonly BufferedStream _buffered;
    private readonly SealingStream _sealing;
    private bool _done;

    internal SealedObjectWriter(ObjectWriteStream target, BufferedStream buffered, SealingStream sealing, string objectId, string dataKeyId)
    {
        _target = target;
        _buffered = buffered;
        _sealing = sealing;
        ObjectId = objectId;
        DataKeyId = dataKeyId;
    }

    public string ObjectId { get; }
    public string DataKeyId { get; }

    /// <summary>Where the plaintext goes (write-only, sealed a chunk at a time).</summary>
    public Stream Stream => _sealing;

    public long PlaintextLength => _sealing.PlaintextLength;

    public async Task<SealedObjectInfo> CommitAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_done, this);
        var digest = _sealing.Finish();
        await _buffered.FlushAsync(ct);
        await _target.CommitAsync(ct);
        _done = true;
        var info = new SealedObjectInfo(ObjectId, DataKeyId, _sealing.PlaintextLength, _sealing.CiphertextLength, digest);
        await DisposeStreamsAsync();
        return info;
    }

    private async ValueTask DisposeStreamsAsync()
    {
        _sealing.Dispose();
        await _target.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_done) return;
        _done = true;
        await DisposeStreamsAsync();
    }
}
