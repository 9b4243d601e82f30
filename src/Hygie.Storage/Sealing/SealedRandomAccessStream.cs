using System.Buffers;
using System.Security.Cryptography;
using Hygie.Core.Errors;
using Hygie.Storage.Objects;

namespace Hygie.Storage.Sealing;

/// <summary>
/// Seekable, read-only access to a sealed object's plaintext, for readers that need parts of it only (a workspace
/// stages just the Parquet columns it loads): a read fetches the chunks it covers with ranged reads of the store (one
/// per 16 MiB) and authenticates each before returning any byte. A chunk's nonce and associated data bind its index and whether it
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
        var cek = await SealedFormat.UnwrapCekAsync(header, objectId, dataKey);
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
        var n = await ReadAtAsync(_position, buffer, ct);
        _position += n;
        return n;
    }

    /// <summary>
    /// Reads up to <paramref name="buffer"/>'s length from <paramref name="position"/> (fewer at the end) without
    /// moving the stream's position. Safe to call from several threads at once: a reader of many ranges keeps several
    /// fetches in flight, each a round trip to the store (an S3 GET).
    /// </summary>
    public async Task<int> ReadAtAsync(long position, Memory<byte> buffer, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        if (position >= Length || buffer.Length == 0) return 0;
        var end = Math.Min(Length, position + buffer.Length);
        var stride = _chunkSize + SealedFormat.TagSize;
        var perFetch = Math.Max(1, MaxReadLength / stride);
        var last = (end - 1) / _chunkSize;
        byte[]? partial = null; // a chunk the read wants only part of
        try
        {
            for (var first = position / _chunkSize; first <= last; first += perFetch)
            {
                var count = (int)Math.Min(perFetch, last - first + 1);
                var offset = _dataStart + first * stride;
                var length = (int)Math.Min((long)count * stride, _storedLength - offset);
                var sealedBytes = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    await using (var range = await _objects.OpenReadAsync(_objectId, offset, length, ct))
                        if (SealedFormat.ReadFull(range, sealedBytes.AsSpan(0, length)) < length)
                            throw new IntegrityException($"object {_objectId} is truncated: chunk {first + count - 1} is missing", "seal-truncated");
                    for (var k = 0; k < count; k++)
                    {
                        var sealedChunk = sealedBytes.AsSpan(k * stride, Math.Min(stride, length - k * stride));
                        var start = (first + k) * _chunkSize;
                        var plain = sealedChunk.Length - SealedFormat.TagSize;
                        long from = Math.Max(position, start), to = Math.Min(end, start + plain);
                        if (from == start && to == start + plain) Decrypt(first + k, sealedChunk, buffer.Span.Slice((int)(start - position), plain));
                        else
                        {
                            partial ??= ArrayPool<byte>.Shared.Rent(_chunkSize);
                            Decrypt(first + k, sealedChunk, partial);
                            partial.AsSpan((int)(from - start), (int)(to - from)).CopyTo(buffer.Span[(int)(from - position)..]);
                        }
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(sealedBytes);
                }
            }
        }
        finally
        {
            if (partial is not null)
            {
                CryptographicOperations.ZeroMemory(partial);
                ArrayPool<byte>.Shared.Return(partial);
            }
        }
        return (int)(end - position);
    }

    private void Decrypt(long index, ReadOnlySpan<byte> sealedChunk, Span<byte> target)
    {
        var length = sealedChunk.Length - SealedFormat.TagSize;
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[41];
        SealedFormat.ChunkNonceAndAad(nonce, aad, _headerDigest, index, index == _chunks - 1);
        try
        {
            lock (_gcm) _gcm.Decrypt(nonce, sealedChunk[..length], sealedChunk[length..], target[..length], aad);
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
