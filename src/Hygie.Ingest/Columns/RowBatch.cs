using Hygie.Ingest.Csv;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Columns;

/// <summary>
/// Up to <see cref="CsvReadOptions.BatchSize"/> rows of one table in columnar form, ready for a Parquet writer: one
/// typed <see cref="ColumnVector"/> per column read (schema order), the source line of each row, and — in quarantine
/// mode — the raw rows that were refused since the previous batch.
/// </summary>
public sealed class RowBatch
{
    private readonly Dictionary<string, ColumnVector> _byName;

    internal RowBatch(TableSchema schema, IReadOnlyList<ColumnVector> columns, int capacity)
    {
        Schema = schema;
        Columns = columns;
        Lines = new long[capacity];
        _byName = columns.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
    }

    public TableSchema Schema { get; }
    public IReadOnlyList<ColumnVector> Columns { get; }
    public int Count { get; internal set; }

    /// <summary>The source line (1-based; the header is line 1) where each row starts.</summary>
    public long[] Lines { get; }

    /// <summary>Refused rows (quarantine mode only), raw, with their errors.</summary>
    public IReadOnlyList<QuarantinedRow> Quarantined => QuarantinedRows;
    internal List<QuarantinedRow> QuarantinedRows { get; } = [];

    public ColumnVector? Column(string name) => _byName.GetValueOrDefault(name);

    public T Column<T>(string name) where T : ColumnVector =>
        _byName.TryGetValue(name, out var c) ? c as T ?? throw new InvalidCastException($"column {name} is a {c.GetType().Name}, not a {typeof(T).Name}")
            : throw new KeyNotFoundException($"no column {name} in this batch");

    internal void Commit()
    {
        foreach (var c in Columns) c.Commit(Count);
    }
}
