using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Hygie.Core.Errors;
using Hygie.Storage.Keys;

namespace Hygie.Storage.Sealing;

/// <summary>
/// The on-disk format of every byte of health data (version 1):
/// <code>
/// header : "HYGSEAL" 0x01 | chunkSize u32 | keyIdLen u16 | keyId utf8 | wrappedCekLen u16 | wrappedCek
/// chunks : (ciphertext ‖ tag16)*   — every chunk holds chunkSize plaintext bytes except the last, which holds fewer (maybe 0)
/// </code>
/// The content key (CEK) is random per object, wrapped by the dataset's data key. Chunk <c>i</c> is AES-256-GCM with
/// nonce <c>last(4) ‖ i(8)</c> and associated data <c>SHA-256(objectId ‖ header) ‖ i ‖ last</c>, so a flipped bit, a
/// truncated tail, swapped or reordered chunks and an object presented under another id all fail authentication.
/// </summary>
public static class SealedFormat
{
    public static ReadOnlySpan<byte> Magic => "HYGSEAL\u0001"u8;
    public const int TagSize = 16;
    public const int DefaultChunkSize = 1 << 20;
    public const int MaxChunkSize = 16 << 20;

    internal static byte[] BuildHeader(int chunkSize, string keyId, ReadOnlySpan<byte> wrappedCek)
    {
        var id = Encoding.UTF8.GetBytes(keyId);
        var header = new byte[8 + 4 + 2 + id.Length + 2 + wrappedCek.Length];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), (uint)chunkSize);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(12), (ushort)id.Length);
        id.CopyTo(header.AsSpan(14));
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14 + id.Length), (ushort)wrappedCek.Length);
        wrappedCek.CopyTo(header.AsSpan(16 + id.Length));
        return header;
    }

    /// <summary>Reads and checks the header; returns its bytes and fields.</summary>
    internal static SealedHeader ReadHeader(Stream stream, string objectId)
    {
        Span<byte> fixedPart = stackalloc byte[14];
        if (ReadFull(stream, fixedPart) < 14 || !fixedPart[..8].SequenceEqual(Magic))
            throw new IntegrityException($"object {objectId} is not a sealed object of a known version (bad header)", "seal-header");
        var chunkSize = (int)BinaryPrimitives.ReadUInt32BigEndian(fixedPart[8..]);
        var idLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[12..]);
        if (chunkSize is <= 0 or > MaxChunkSize || idLength is 0 or > 256)
            throw new IntegrityException($"object {objectId} has a corrupted header", "seal-header");
        var rest = new byte[idLength + 2];
        if (ReadFull(stream, rest) < rest.Length) throw new IntegrityException($"object {objectId} has a truncated header", "seal-header");
        var cekLength = BinaryPrimitives.ReadUInt16BigEndian(rest.AsSpan(idLength));
        if (cekLength is < 28 or > 1024) throw new IntegrityException($"object {objectId} has a corrupted header", "seal-header");
        var cek = new byte[cekLength];
        if (ReadFull(stream, cek) < cek.Length) throw new IntegrityException($"object {objectId} has a truncated header", "seal-header");
        var keyId = Encoding.UTF8.GetString(rest.AsSpan(0, idLength));
        var header = BuildHeader(chunkSize, keyId, cek);
        return new SealedHeader(chunkSize, keyId, cek, header, HeaderDigest(objectId, header));
    }

    internal static byte[] HeaderDigest(string objectId, ReadOnlySpan<byte> header)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(objectId));
        hash.AppendData([0]);
        hash.AppendData(header);
        return hash.GetHashAndReset();
    }

    internal static byte[] CekContext(string keyId) => Encoding.UTF8.GetBytes("hygie-cek:" + keyId);

    /// <summary>The object's content key: asks <paramref name="dataKey"/> for the key its header names and unwraps it.</summary>
    internal static async Task<byte[]> UnwrapCekAsync(SealedHeader header, string objectId, Func<string, Task<byte[]>> dataKey)
    {
        var key = await dataKey(header.KeyId);
        try { return KeyWrap.Unwrap(key, header.WrappedCek, CekContext(header.KeyId), $"data key {header.KeyId}"); }
        catch (IntegrityException e)
        {
            throw new IntegrityException($"object {objectId}: its content key does not unwrap under data key {header.KeyId} (wrong key, or the header was altered)", "seal-key", e);
        }
    }

    internal static void ChunkNonceAndAad(Span<byte> nonce, Span<byte> aad, ReadOnlySpan<byte> headerDigest, long index, bool last)
    {
        nonce.Clear();
        nonce[3] = last ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt64BigEndian(nonce[4..], index);
        headerDigest.CopyTo(aad);
        BinaryPrimitives.WriteInt64BigEndian(aad[32..], index);
        aad[40] = last ? (byte)1 : (byte)0;
    }

    internal static int ReadFull(Stream stream, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = stream.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}

internal sealed record SealedHeader(int ChunkSize, string KeyId, byte[] WrappedCek, byte[] Bytes, byte[] Digest);
