using System.Buffers;
using System.Security.Cryptography;
using Hygie.Core.Errors;
using Hygie.Storage.Keys;
using Hygie.Storage.Objects;

namespace Hygie.Storage.Sealing;

/// <summary>
/// Seekable, read-only access to a sealed object's plaintext, for readers that need parts of it only (a workspace
/// stages just the Parquet columns it loads): a read fetches the chunks it covers with one ranged read of the store
/// and authenticates each before returning any byte. A chunk's nonce and associated data bind its index and whether it
/// is the last one, so altered, swapped or truncated chunks fail here as in a full read; the seal digest, which needs
/// every chunk, is not computed (<see cref="SealedObjectStore.VerifyAsync"/> does that).
/// </summary>
public sealed class SealedRandomAccessStream : Stream
{
    private const int MaxHeaderLength = 16 + 256 + 1024; // see SealedFormat.ReadHeader
    private const int MaxReadLength = 16 << 20;

    private readonly IObjectStore _objects;
    private readonly string _objectId;
    private readonly AesGcm _gcm;
    private readonly byte[] _headerDigest;
    private readonly int _chunkSize;
    private readonly long _dataStart, _chunks, _storedLength;
    private readonly byte[] _chunk; // the plaintext of the last chunk read
    private long _chunkIndex = -1;
    private int _chunkLength;
    private long _position;

    private SealedRandomAccessStream(IObjectStore objects, string objectId, SealedHeader header, byte[] cek, long storedLength)
    {
        _objects = objects;
        _objectId = objectId;
        _chunkSize = header.ChunkSize;
        _headerDigest = header.Digest;
        _dataStart = header.Bytes.Length;
        _storedLength = storedLength;
        var stride = (long)_chunkSize + SealedFormat.TagSize;
        var area = storedLength - _dataStart;
        _chunks = area / stride + 1; // the last chunk holds less than a chunk of plaintext, maybe none
        var lastSealed = area - (_chunks - 1) * stride;
        if (lastSealed < SealedFormat.TagSize)
            throw new IntegrityException($"object {objectId} is truncated: its last chunk is missing", "seal-truncated");
        Length = (_chunks - 1) * _chunkSize + lastSealed - SealedFormat.TagSize;
        _gcm = new AesGcm(cek, SealedFormat.TagSize);
        CryptographicOperations.ZeroMemory(cek);
        _chunk = new byte[_chunkSize];
    }

    /// <summary>Reads the header of object <paramref name="objectId"/>, asks <paramref name="dataKey"/> for the key it names, and opens the object.</summary>
    public static async Task<SealedRandomAccessStream> OpenAsync(IObjectStore objects, string objectId, Func<string, Task<byte[]>> dataKey, CancellationToken ct = default)
    {
        var stored = await objects.LengthAsync(objectId, ct);
        var head = new MemoryStream();
        await using (var range = await objects.OpenReadAsync(objectId, 0, Math.Min(stored, MaxHeaderLength), ct))
            await range.CopyToAsync(head, ct);
        head.Position = 0;
        var header = SealedFormat.ReadHeader(head, objectId);
        var key = await dataKey(header.KeyId);
        byte[] cek;
        try { cek = KeyWrap.Unwrap(key, header.WrappedCek, SealedFormat.CekContext(header.KeyId), $"data key {header.KeyId}"); }
        catch (IntegrityException e)
        {
            throw new IntegrityException($"object {objectId}: its content key does not unwrap under data key {header.KeyId} (wrong key, or the header was altered)", "seal-key", e);
        }
        return new SealedRandomAccessStream(objects, objectId, header, cek, stored);
    }

    /// <summary>The plaintext's length.</summary>
    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set => _position = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
    {
        SeekOrigin.Begin => offset,
        SeekOrigin.Current => _position + offset,
        _ => Length + offset,
    };

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        if (_position >= Length || buffer.Length == 0) return 0;
        var first = _position / _chunkSize;
        var direct = 0;
        if (first != _chunkIndex)
        {
            var end = Math.Min(Length, _position + buffer.Length);
            var count = (int)Math.Min((end - 1) / _chunkSize - first + 1, Math.Max(1, MaxReadLength / _chunkSize));
            direct = await FetchAsync(first, count, buffer, ct);
        }
        var at = (int)(_position - _chunkIndex * _chunkSize);
        var n = Math.Min(buffer.Length, _chunkLength - at);
        _chunk.AsSpan(at, n).CopyTo(buffer.Span);
        _position += n + direct;
        return n + direct;
    }

    /// <summary>
    /// Fetches chunks [first, first + count) in one ranged read and authenticates each: the first (where the read
    /// starts) into the chunk cache, the next ones the read covers entirely straight into <paramref name="buffer"/>,
    /// after the cached chunk's part. Returns how many bytes went straight to the buffer.
    /// </summary>
    private async Task<int> FetchAsync(long first, int count, Memory<byte> buffer, CancellationToken ct)
    {
        var stride = _chunkSize + SealedFormat.TagSize;
        var offset = _dataStart + first * stride;
        var length = (int)Math.Min((long)count * stride, _storedLength - offset);
        var sealedBytes = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await using (var range = await _objects.OpenReadAsync(_objectId, offset, length, ct))
                if (SealedFormat.ReadFull(range, sealedBytes.AsSpan(0, length)) < length)
                    throw new IntegrityException($"object {_objectId} is truncated: chunk {first + count - 1} is missing", "seal-truncated");
            var firstSealed = Math.Min(stride, length);
            _chunkIndex = -1;
            Decrypt(first, sealedBytes.AsSpan(0, firstSealed), _chunk);
            _chunkIndex = first;
            _chunkLength = firstSealed - SealedFormat.TagSize;
            var at = _chunkLength - (int)(_position - first * _chunkSize);
            var direct = 0;
            for (var k = 1; k < count; k++)
            {
                var sealedChunk = sealedBytes.AsSpan(k * stride, Math.Min(stride, length - k * stride));
                var plain = sealedChunk.Length - SealedFormat.TagSize;
                if (at + direct + plain > buffer.Length) break; // wanted in part only: fetched again by the next read
                Decrypt(first + k, sealedChunk, buffer.Span.Slice(at + direct, plain));
                direct += plain;
            }
            return direct;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sealedBytes);
        }
    }

    private void Decrypt(long index, ReadOnlySpan<byte> sealedChunk, Span<byte> target)
    {
        var length = sealedChunk.Length - SealedFormat.TagSize;
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[41];
        SealedFormat.ChunkNonceAndAad(nonce, aad, _headerDigest, index, index == _chunks - 1);
        try
        {
            _gcm.Decrypt(nonce, sealedChunk[..length], sealedChunk[length..], target[..length], aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            target[..length].Clear();
            throw new IntegrityException(
                $"object {_objectId}: chunk {index} fails authentication (altered, truncated, reordered, or not object {_objectId})", "seal-chunk");
        }
    }

    public override int Read(Span<byte> buffer)
    {
        var copy = new byte[buffer.Length];
        var n = ReadAsync(copy).AsTask().GetAwaiter().GetResult();
        copy.AsSpan(0, n).CopyTo(buffer);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();
    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _gcm.Dispose();
        base.Dispose(disposing);
    }
}
