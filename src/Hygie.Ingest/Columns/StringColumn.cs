using System.Text;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Columns;

/// <summary>
/// Text as UTF-8 (validated): row i is <c>Data[Offsets[i]..Offsets[i+1]]</c>, like Arrow's string layout, so a batch
/// holds one byte array instead of one string per cell. <see cref="GetString"/> and <see cref="ToStrings"/> materialize
/// strings when a consumer needs them (with interning of repeated short values).
/// </summary>
public sealed class StringColumn : ColumnVector
{
    private byte[] _data;

    internal StringColumn(FieldSchema field, int capacity) : base(field, capacity)
    {
        Offsets = new int[capacity + 1];
        _data = new byte[Math.Max(1024, capacity * Math.Clamp(field.MaxChars ?? 8, 1, 32))];
    }

    public byte[] Data => _data;
    public int[] Offsets { get; }
    public int ByteCount => Offsets[Count];

    public ReadOnlySpan<byte> GetBytes(int row) => _data.AsSpan(Offsets[row], Offsets[row + 1] - Offsets[row]);

    public string? GetString(int row) => Nulls[row] ? null : Encoding.UTF8.GetString(GetBytes(row));

    public override object? GetValue(int row) => GetString(row);

    /// <summary>All rows as strings (null for null rows); equal values of up to 32 bytes share one string instance.</summary>
    public string?[] ToStrings()
    {
        var result = new string?[Count];
        var pool = new Dictionary<byte[], string>(ByteArrayEquality.Instance);
        var lookup = pool.GetAlternateLookup<ReadOnlySpan<byte>>();
        for (var i = 0; i < Count; i++)
        {
            if (Nulls[i]) continue;
            var bytes = GetBytes(i);
            if (bytes.Length > 32) { result[i] = Encoding.UTF8.GetString(bytes); continue; }
            if (!lookup.TryGetValue(bytes, out var s))
            {
                s = Encoding.UTF8.GetString(bytes);
                lookup.TryAdd(bytes, s);
            }
            result[i] = s;
        }
        return result;
    }

    internal override bool TryParse(int row, ReadOnlySpan<byte> raw)
    {
        Append(row, raw);
        return true;
    }

    internal void Append(int row, ReadOnlySpan<byte> raw)
    {
        var start = Offsets[row];
        var end = start + raw.Length;
        if (end > _data.Length) Array.Resize(ref _data, Math.Max(end, _data.Length * 2));
        raw.CopyTo(_data.AsSpan(start));
        Offsets[row + 1] = end;
    }

    private protected override void ClearValue(int row) => Offsets[row + 1] = Offsets[row];

    private sealed class ByteArrayEquality : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteArrayEquality Instance = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
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
