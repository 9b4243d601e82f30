using System.Security.Cryptography;
using Hygie.Core.Errors;

namespace Hygie.Storage.Sealing;

/// <summary>
/// Read-only stream over a sealed object: each chunk is authenticated before any of its bytes are returned, and the end
/// of the object is accepted only after a valid last chunk, so truncation is an error, not a short read.
/// </summary>
public sealed class UnsealingStream : Stream
{
    private readonly Stream _source;
    private readonly string _objectId;
    private readonly AesGcm _gcm;
    private readonly byte[] _headerDigest;
    private readonly byte[] _sealed;
    private readonly byte[] _plain;
    private readonly IncrementalHash _sealDigest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly int _chunkSize;
    private int _plainOffset, _plainLength;
    private long _index;
    private bool _ended;

    private UnsealingStream(Stream source, string objectId, SealedHeader header, byte[] cek)
    {
        _source = source;
        _objectId = objectId;
        _chunkSize = header.ChunkSize;
        _headerDigest = header.Digest;
        _gcm = new AesGcm(cek, SealedFormat.TagSize);
        CryptographicOperations.ZeroMemory(cek);
        _plain = new byte[_chunkSize];
        _sealed = new byte[_chunkSize + SealedFormat.TagSize];
        _sealDigest.AppendData(_headerDigest);
    }

    /// <summary>Reads the header of <paramref name="source"/>, asks <paramref name="dataKey"/> for the key it names, and opens the object.</summary>
    public static async Task<UnsealingStream> OpenAsync(Stream source, string objectId, Func<string, Task<byte[]>> dataKey)
    {
        var header = SealedFormat.ReadHeader(source, objectId);
        var cek = await SealedFormat.UnwrapCekAsync(header, objectId, dataKey);
        return new UnsealingStream(source, objectId, header, cek);
    }

    /// <summary>The data key id named by an object's header, without unsealing anything.</summary>
    public static string ReadKeyId(Stream source, string objectId) => SealedFormat.ReadHeader(source, objectId).KeyId;

    /// <summary>Available once the whole object has been read.</summary>
    public string? SealDigest { get; private set; }

    public override int Read(Span<byte> buffer)
    {
        if (_plainOffset == _plainLength)
        {
            if (_ended) return 0;
            // A caller buffer that can hold a whole chunk receives the plaintext directly: one copy less.
            if (buffer.Length >= _chunkSize) return NextChunk(buffer);
            _plainLength = NextChunk(_plain);
            _plainOffset = 0;
            if (_plainLength == 0) return 0;
        }
        var n = Math.Min(buffer.Length, _plainLength - _plainOffset);
        _plain.AsSpan(_plainOffset, n).CopyTo(buffer);
        _plainOffset += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => ValueTask.FromResult(Read(buffer.Span));

    /// <summary>Reads to the end, authenticating every chunk; returns the seal digest.</summary>
    public string VerifyToEnd()
    {
        while (!_ended) NextChunk(_plain);
        return SealDigest!;
    }

    /// <summary>
    /// Reads the next sealed chunk (ciphertext and tag) in one read, authenticates it and decrypts it straight into
    /// <paramref name="target"/> (at least one chunk long); returns its plaintext length. One read of a whole sealed
    /// chunk passes any buffering of the source by, so each byte is copied once on its way in.
    /// </summary>
    private int NextChunk(Span<byte> target)
    {
        var got = SealedFormat.ReadFull(_source, _sealed);
        var last = got < _sealed.Length;
        if (last && got < SealedFormat.TagSize)
            throw new IntegrityException($"object {_objectId} is truncated: its last chunk is missing (after chunk {_index - 1})", "seal-truncated");
        var length = got - SealedFormat.TagSize;
        var tag = _sealed.AsSpan(length, SealedFormat.TagSize);

        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[41];
        SealedFormat.ChunkNonceAndAad(nonce, aad, _headerDigest, _index, last);
        try
        {
            _gcm.Decrypt(nonce, _sealed.AsSpan(0, length), tag, target[..length], aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            target[..length].Clear();
            throw new IntegrityException(
                $"object {_objectId}: chunk {_index} fails authentication (altered, truncated, reordered, or not object {_objectId})", "seal-chunk");
        }
        _sealDigest.AppendData(tag);
        _index++;
        if (last)
        {
            _ended = true;
            SealDigest = Convert.ToHexStringLower(_sealDigest.GetHashAndReset());
        }
        return length;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gcm.Dispose();
            _sealDigest.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
            _source.Dispose();
        }
        base.Dispose(disposing);
    }
}
