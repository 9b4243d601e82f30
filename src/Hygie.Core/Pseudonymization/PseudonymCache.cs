using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Hygie.Core.Pseudonymization;

/// <summary>
/// A bounded map from canonical identifier bytes (up to <see cref="MaxKeyLength"/>) to pseudonyms, looked up without
/// allocating. Open addressing, keys stored inline beside a 64-bit fingerprint and the pseudonym, so a hit usually
/// costs one memory access (a hash table of a few hundred thousand persons does not fit in the CPU caches). The hash is
/// seeded per instance, so crafted identifiers cannot force long probe chains. Two generations approximate LRU: entries
/// go to the young table; when it holds half the capacity it becomes the old one (the previous old one is cleared and
/// reused) and a hit in the old table is copied to the young one. At most <c>capacity</c> entries are held.
/// Clearing wipes the stored keys.
/// </summary>
internal sealed class PseudonymCache
{
    public const int MaxKeyLength = 40;

    [InlineArray(MaxKeyLength)]
    private struct KeyBytes
    {
        private byte _b;
    }

    private struct Entry
    {
        public string? Value;
        public ulong Fingerprint; // 0: empty
        public int Length;
        public KeyBytes Key;
    }

    private readonly int _generation;
    private readonly ulong _seed = BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8)) | 1;
    private Entry[] _young;
    private Entry[] _old;
    private int _youngCount;
    private readonly int _mask;

    public PseudonymCache(int capacity)
    {
        _generation = Math.Max(1, capacity / 2);
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, _generation * 2));
        _young = new Entry[size];
        _old = new Entry[size];
        _mask = size - 1;
    }

    public long Hits { get; private set; }
    public long Misses { get; private set; }

    public bool TryGet(ReadOnlySpan<byte> key, out string value)
    {
        if (key.Length <= MaxKeyLength)
        {
            var fp = Fingerprint(key);
            if (Find(_young, key, fp) is { } young) { Hits++; value = young; return true; }
            if (Find(_old, key, fp) is { } old)
            {
                Hits++;
                Insert(key, fp, old);
                value = old;
                return true;
            }
        }
        Misses++;
        value = null!;
        return false;
    }

    public void Add(ReadOnlySpan<byte> key, string value)
    {
        if (key.Length > MaxKeyLength) return;
        Insert(key, Fingerprint(key), value);
    }

    public void Clear()
    {
        Array.Clear(_young);
        Array.Clear(_old);
        _youngCount = 0;
    }

    private string? Find(Entry[] table, ReadOnlySpan<byte> key, ulong fp)
    {
        for (var i = (int)fp & _mask; ; i = (i + 1) & _mask)
        {
            ref var e = ref table[i];
            if (e.Fingerprint == 0) return null;
            if (e.Fingerprint == fp && e.Length == key.Length && key.SequenceEqual(((ReadOnlySpan<byte>)e.Key)[..e.Length])) return e.Value;
        }
    }

    private void Insert(ReadOnlySpan<byte> key, ulong fp, string value)
    {
        if (_youngCount >= _generation)
        {
            (_old, _young) = (_young, _old);
            Array.Clear(_young);
            _youngCount = 0;
        }
        for (var i = (int)fp & _mask; ; i = (i + 1) & _mask)
        {
            ref var e = ref _young[i];
            if (e.Fingerprint == fp && e.Length == key.Length && key.SequenceEqual(((ReadOnlySpan<byte>)e.Key)[..e.Length])) return;
            if (e.Fingerprint != 0) continue;
            e.Fingerprint = fp;
            e.Length = key.Length;
            key.CopyTo(e.Key);
            e.Value = value;
            _youngCount++;
            return;
        }
    }

    /// <summary>A seeded 64-bit hash of up to 40 bytes, never 0.</summary>
    private ulong Fingerprint(ReadOnlySpan<byte> key)
    {
        const ulong prime = 0x9E3779B97F4A7C15;
        var h = _seed ^ ((ulong)key.Length * prime);
        var words = MemoryMarshal.Cast<byte, ulong>(key);
        foreach (var w in words) h = BitOperations.RotateLeft((h ^ w) * prime, 29);
        ulong tail = 0;
        var rest = key[(words.Length * 8)..];
        for (var i = 0; i < rest.Length; i++) tail |= (ulong)rest[i] << (8 * i);
        h = BitOperations.RotateLeft((h ^ tail) * prime, 29);
        // murmur3 finalizer
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccd;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53;
        h ^= h >> 33;
        return h == 0 ? 1 : h;
    }
}
