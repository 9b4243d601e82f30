using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Columns;

/// <summary>
/// One column of a <see cref="RowBatch"/>: typed values in a plain array (valid for rows 0..Count−1) and a null mask.
/// A null row's value slot holds the type's default. Subtypes: <see cref="Int64Column"/>, <see cref="Int32Column"/>
/// (year, yearmonth as yyyyMM, month), <see cref="DoubleColumn"/>, <see cref="BooleanColumn"/>, <see cref="DateColumn"/>
/// (days since 1970-01-01), <see cref="TimestampColumn"/> (µs since 1970-01-01), <see cref="StringColumn"/> (UTF-8
/// bytes and offsets).
/// </summary>
public abstract class ColumnVector
{
    private protected ColumnVector(FieldSchema field, int capacity)
    {
        Field = field;
        Nulls = new bool[capacity];
    }

    public FieldSchema Field { get; }
    public string Name => Field.Name;
    public int Count { get; private protected set; }

    /// <summary>True where the row is null (empty or a missing value).</summary>
    public bool[] Nulls { get; }
    public int NullCount { get; private set; }

    public bool IsNull(int row) => Nulls[row];

    /// <summary>The row's value boxed (null for null rows): for tests and reports, not for hot paths.</summary>
    public abstract object? GetValue(int row);

    /// <summary>Parses a raw UTF-8 value into row <c>Count</c> (not yet counted); false when it is not of the type.</summary>
    internal abstract bool TryParse(int row, ReadOnlySpan<byte> raw);

    /// <summary>Marks row <paramref name="row"/> (being written) null; a later write of the same row overwrites it.</summary>
    internal void SetNull(int row)
    {
        Nulls[row] = true;
        ClearValue(row);
    }

    internal bool TryParseValue(int row, ReadOnlySpan<byte> raw)
    {
        Nulls[row] = false;
        return TryParse(row, raw);
    }

    private protected abstract void ClearValue(int row);

    /// <summary>Fixes the number of rows once the batch is complete.</summary>
    internal void Commit(int rows)
    {
        Count = rows;
        NullCount = Nulls.AsSpan(0, rows).Count(true);
    }

    internal static ColumnVector Create(FieldSchema field, int capacity) => field.Type switch
    {
        FieldType.Integer => new Int64Column(field, capacity),
        FieldType.Number => new DoubleColumn(field, capacity),
        FieldType.Boolean => new BooleanColumn(field, capacity),
        FieldType.Date => new DateColumn(field, capacity),
        FieldType.DateTime => new TimestampColumn(field, capacity),
        FieldType.Year or FieldType.YearMonth or FieldType.Month => new Int32Column(field, capacity),
        FieldType.String or FieldType.Any => new StringColumn(field, capacity),
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };
}
