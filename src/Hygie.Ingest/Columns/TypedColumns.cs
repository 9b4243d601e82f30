using Hygie.Ingest.Schemas;
using Hygie.Ingest.Values;

namespace Hygie.Ingest.Columns;

public sealed class Int64Column : ColumnVector
{
    internal Int64Column(FieldSchema field, int capacity) : base(field, capacity) => Values = new long[capacity];
    public long[] Values { get; }
    public override object? GetValue(int row) => Nulls[row] ? null : Values[row];
    internal override bool TryParse(int row, ReadOnlySpan<byte> raw) => SndsValueParser.TryParseInt64(raw, out Values[row]);
    private protected override void ClearValue(int row) => Values[row] = 0;
}

/// <summary>Years (yyyy), year-months (the integer yyyyMM) and month numbers (1–12).</summary>
public sealed class Int32Column : ColumnVector
{
    internal Int32Column(FieldSchema field, int capacity) : base(field, capacity) => Values = new int[capacity];
    public int[] Values { get; }
    public override object? GetValue(int row) => Nulls[row] ? null : Values[row];

    internal override bool TryParse(int row, ReadOnlySpan<byte> raw) => Field.Type switch
    {
        FieldType.Year => SndsValueParser.TryParseYear(raw, out Values[row]),
        FieldType.YearMonth => SndsValueParser.TryParseYearMonth(raw, out Values[row]),
        _ => SndsValueParser.TryParseMonth(raw, out Values[row]),
    };

    private protected override void ClearValue(int row) => Values[row] = 0;
}

public sealed class DoubleColumn : ColumnVector
{
    internal DoubleColumn(FieldSchema field, int capacity) : base(field, capacity) => Values = new double[capacity];
    public double[] Values { get; }
    public override object? GetValue(int row) => Nulls[row] ? null : Values[row];
    internal override bool TryParse(int row, ReadOnlySpan<byte> raw) => SndsValueParser.TryParseDouble(raw, out Values[row]);
    private protected override void ClearValue(int row) => Values[row] = 0;
}

public sealed class BooleanColumn : ColumnVector
{
    private readonly byte[][]? _true;
    private readonly byte[][]? _false;

    internal BooleanColumn(FieldSchema field, int capacity) : base(field, capacity)
    {
        Values = new bool[capacity];
        if (field.TrueValues is { Count: > 0 } || field.FalseValues is { Count: > 0 })
        {
            _true = [.. (field.TrueValues ?? []).Select(v => System.Text.Encoding.UTF8.GetBytes(v))];
            _false = [.. (field.FalseValues ?? []).Select(v => System.Text.Encoding.UTF8.GetBytes(v))];
        }
    }

    public bool[] Values { get; }
    public override object? GetValue(int row) => Nulls[row] ? null : Values[row];

    internal override bool TryParse(int row, ReadOnlySpan<byte> raw)
    {
        if (_true is null) return SndsValueParser.TryParseBoolean(raw, out Values[row]);
        // declared values first (true before false: the SNDS declares some fields with the same value for both),
        // then the usual spellings
        raw = SndsValueParser.TrimSpaces(raw);
        foreach (var t in _true) if (raw.SequenceEqual(t)) { Values[row] = true; return true; }
        foreach (var f in _false!) if (raw.SequenceEqual(f)) { Values[row] = false; return true; }
        return SndsValueParser.TryParseBoolean(raw, out Values[row]);
    }

    private protected override void ClearValue(int row) => Values[row] = false;
}

/// <summary>Dates as days since 1970-01-01; the SNDS sentinel 1600-01-01 is kept (see <see cref="SndsDates"/>).</summary>
public sealed class DateColumn : ColumnVector
{
    private readonly bool _yearFirst;

    internal DateColumn(FieldSchema field, int capacity) : base(field, capacity)
    {
        Values = new int[capacity];
        _yearFirst = field.Format.StartsWith("%Y", StringComparison.Ordinal);
    }

    public int[] Values { get; }
    public DateOnly GetDate(int row) => SndsDates.ToDate(Values[row]);
    public bool IsMissingSentinel(int row) => !Nulls[row] && Values[row] == SndsDates.MissingDate;
    public override object? GetValue(int row) => Nulls[row] ? null : GetDate(row);
    internal override bool TryParse(int row, ReadOnlySpan<byte> raw) => SndsValueParser.TryParseDate(raw, out Values[row], _yearFirst);
    private protected override void ClearValue(int row) => Values[row] = 0;
}

/// <summary>Datetimes as microseconds since 1970-01-01T00:00:00, no time zone.</summary>
public sealed class TimestampColumn : ColumnVector
{
    private readonly bool _yearFirst;

    internal TimestampColumn(FieldSchema field, int capacity) : base(field, capacity)
    {
        Values = new long[capacity];
        _yearFirst = field.Format.StartsWith("%Y", StringComparison.Ordinal);
    }

    public long[] Values { get; }
    public DateTime GetDateTime(int row) => SndsDates.ToDateTime(Values[row]);
    public bool IsMissingSentinel(int row) => !Nulls[row] && SndsDates.IsMissingSentinel(Values[row]);
    public override object? GetValue(int row) => Nulls[row] ? null : GetDateTime(row);
    internal override bool TryParse(int row, ReadOnlySpan<byte> raw) => SndsValueParser.TryParseDateTime(raw, out Values[row], _yearFirst);
    private protected override void ClearValue(int row) => Values[row] = 0;
}
