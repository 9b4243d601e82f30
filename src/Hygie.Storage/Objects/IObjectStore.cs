namespace Hygie.Storage.Objects;

/// <summary>
/// Where sealed objects live. Keys are relative paths of <c>[a-z0-9._-]</c> segments separated by <c>/</c>.
/// Writes are atomic: an object becomes visible only when <see cref="ObjectWriteStream.CommitAsync"/> succeeds.
/// </summary>
public interface IObjectStore
{
    /// <summary><c>files</c> or <c>s3</c>.</summary>
    string Provider { get; }

    /// <summary>Where the store lives, without credentials.</summary>
    string Location { get; }

    Task<ObjectWriteStream> OpenWriteAsync(string key, CancellationToken ct = default);

    /// <summary>Opens an object for reading; throws <see cref="Core.Errors.NotFoundException"/> when absent.</summary>
    Task<Stream> OpenReadAsync(string key, CancellationToken ct = default);

    /// <summary>Opens <paramref name="length"/> bytes of an object from <paramref name="offset"/> (fewer where it ends),
    /// for readers that need parts of an object only; throws <see cref="Core.Errors.NotFoundException"/> when absent.</summary>
    Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken ct = default);

    /// <summary>An object's length in bytes; throws <see cref="Core.Errors.NotFoundException"/> when absent.</summary>
    Task<long> LengthAsync(string key, CancellationToken ct = default);

    Task<bool> ExistsAsync(string key, CancellationToken ct = default);

    Task DeleteAsync(string key, CancellationToken ct = default);

    IAsyncEnumerable<StoredObject> ListAsync(string prefix = "", CancellationToken ct = default);
}

public sealed record StoredObject(string Key, long Length);

/// <summary>A write in progress. Disposing it without <see cref="CommitAsync"/> discards everything written.</summary>
public abstract class ObjectWriteStream : Stream
{
    public abstract Task CommitAsync(CancellationToken ct = default);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
