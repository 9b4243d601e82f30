using Hygie.Ingest.Csv;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Columns;

/// <summary>
/// Up to <see cref="CsvReadOptions.BatchSize"/> rows of one table in columnar form, ready for a Parquet writer: one
/// typed <see cref="ColumnVector"/> per column read (schema order), the source line of each row, and — in quarantine
/// mode — the raw rows that were refused since the previous batch.
/// <para>Disposing a batch hands its arrays back to the reader, which fills them again for a later batch (saving the
/// allocation of several megabytes per batch): do not touch a batch after disposing it. A batch that is never disposed
/// is simply collected.</para>
/// </summary>
public sealed class RowBatch : IDisposable
{
    private readonly Dictionary<string, ColumnVector> _byName;
    private readonly Action<RowBatch>? _recycle;
    private bool _disposed;

    internal RowBatch(TableSchema schema, ColumnVector[] columns, int capacity, Action<RowBatch>? recycle = null)
    {
        Schema = schema;
        ColumnArray = columns;
        Lines = new long[capacity];
        _byName = columns.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
        _recycle = recycle;
    }

    internal ColumnVector[] ColumnArray { get; }

    /// <summary>Hands the batch's arrays back for reuse; the batch must not be used afterwards.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _recycle?.Invoke(this);
    }

    /// <summary>Makes a recycled batch empty and usable again.</summary>
    internal void Reset()
    {
        _disposed = false;
        Count = 0;
        QuarantinedRows.Clear();
    }

    public TableSchema Schema { get; }
    public IReadOnlyList<ColumnVector> Columns => ColumnArray;
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
