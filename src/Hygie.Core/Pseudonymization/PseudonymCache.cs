namespace Hygie.Core.Pseudonymization;

/// <summary>
/// A bounded map from canonical identifier bytes to pseudonyms, looked up without allocating. Two generations approximate
/// LRU: entries live in the young generation; when it holds half the capacity it becomes the old one (the previous old
/// one is dropped) and a hit in the old generation is promoted. At most <c>capacity</c> entries are held.
/// </summary>
internal sealed class PseudonymCache(int capacity)
{
    private readonly int _generation = Math.Max(1, capacity / 2);
    private Dictionary<byte[], string> _young = New();
    private Dictionary<byte[], string> _old = New();

    public long Hits { get; private set; }
    public long Misses { get; private set; }

    public bool TryGet(ReadOnlySpan<byte> key, out string value)
    {
        if (_young.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out value!)) { Hits++; return true; }
        if (_old.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out value!))
        {
            Hits++;
            Add(key, value);
            return true;
        }
        Misses++;
        return false;
    }

    public void Add(ReadOnlySpan<byte> key, string value)
    {
        if (_young.Count >= _generation)
        {
            _old = _young;
            _young = New();
        }
        _young.GetAlternateLookup<ReadOnlySpan<byte>>().TryAdd(key, value);
    }

    public void Clear()
    {
        _young.Clear();
        _old.Clear();
    }

    private static Dictionary<byte[], string> New() => new(ByteKeyComparer.Instance);

    private sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteKeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.AsSpan().SequenceEqual(y));
        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);
        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var h = new HashCode();
            h.AddBytes(alternate);
            return h.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
