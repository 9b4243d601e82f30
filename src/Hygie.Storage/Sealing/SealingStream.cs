using System.Security.Cryptography;
using Hygie.Storage.Keys;

namespace Hygie.Storage.Sealing;

/// <summary>
/// Write-only stream that seals what is written to it into <paramref name="sink"/>, one chunk at a time: memory stays
/// at two chunks whatever the object's size. <see cref="Finish"/> writes the last chunk; an unfinished object is
/// invalid by construction (its last chunk is missing).
/// </summary>
public sealed class SealingStream : Stream
{
    private readonly Stream _sink;
    private readonly AesGcm _gcm;
    private readonly byte[] _headerDigest;
    private readonly byte[] _plain;
    private readonly byte[] _cipher;
    private readonly IncrementalHash _sealDigest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly int _chunkSize;
    private int _filled;
    private long _index;
    private bool _finished;

    public SealingStream(Stream sink, string objectId, string dataKeyId, ReadOnlySpan<byte> dataKey, int chunkSize = SealedFormat.DefaultChunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkSize, SealedFormat.MaxChunkSize);
        _sink = sink;
        _chunkSize = chunkSize;
        var cek = RandomNumberGenerator.GetBytes(32);
        var header = SealedFormat.BuildHeader(chunkSize, dataKeyId, KeyWrap.Wrap(dataKey, cek, SealedFormat.CekContext(dataKeyId)));
        _headerDigest = SealedFormat.HeaderDigest(objectId, header);
        _gcm = new AesGcm(cek, SealedFormat.TagSize);
        CryptographicOperations.ZeroMemory(cek);
        _plain = new byte[chunkSize];
        _cipher = new byte[chunkSize + SealedFormat.TagSize];
        _sink.Write(header);
        _sealDigest.AppendData(_headerDigest);
        CiphertextLength = header.Length;
    }

    public long PlaintextLength { get; private set; }
    public long CiphertextLength { get; private set; }

    /// <summary>
    /// SHA-256 over the header digest and every chunk's GCM tag: it names this exact ciphertext, since each tag
    /// authenticates its chunk under the content key; verifying an object means unsealing it and comparing this digest.
    /// </summary>
    public string? SealDigest { get; private set; }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, _chunkSize - _filled);
            buffer[..n].CopyTo(_plain.AsSpan(_filled));
            _filled += n;
            buffer = buffer[n..];
            PlaintextLength += n;
            // A full chunk is never the last one: the last always holds fewer than chunkSize bytes.
            if (_filled == _chunkSize) EmitChunk(last: false);
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes the last chunk and returns the seal digest. Nothing can be written afterwards.</summary>
    public string Finish()
    {
        if (_finished) return SealDigest!;
        EmitChunk(last: true);
        _finished = true;
        _sink.Flush();
        SealDigest = Convert.ToHexStringLower(_sealDigest.GetHashAndReset());
        return SealDigest;
    }

    private void EmitChunk(bool last)
    {
        Span<byte> nonce = stackalloc byte[12];
        Span<byte> aad = stackalloc byte[41];
        SealedFormat.ChunkNonceAndAad(nonce, aad, _headerDigest, _index, last);
        var tag = _cipher.AsSpan(_filled, SealedFormat.TagSize);
        _gcm.Encrypt(nonce, _plain.AsSpan(0, _filled), _cipher.AsSpan(0, _filled), tag, aad);
        _sink.Write(_cipher, 0, _filled + SealedFormat.TagSize);
        _sealDigest.AppendData(tag);
        CiphertextLength += _filled + SealedFormat.TagSize;
        _filled = 0;
        _index++;
    }

    public override void Flush() { }
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_finished;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => PlaintextLength; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gcm.Dispose();
            _sealDigest.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
        }
        base.Dispose(disposing);
    }
}
