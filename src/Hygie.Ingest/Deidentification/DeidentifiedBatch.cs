using Hygie.Ingest.Columns;

namespace Hygie.Ingest.Deidentification;

/// <summary>
/// A batch as it is stored: <see cref="PersonIds"/> (the <c>person_id</c> column, null where a row has no identifier;
/// absent when the table has none) and the kept, generalized or shifted columns, in the order of
/// <see cref="BatchDeidentifier.OutputSchema"/> after <c>person_id</c>. Disposing it disposes the source batch.
/// </summary>
public sealed class DeidentifiedBatch : IDisposable
{
    private readonly RowBatch _source;
    private readonly Action<DeidentifiedBatch>? _recycle;
    private bool _disposed;

    internal DeidentifiedBatch(RowBatch source, string?[]? personIds, IReadOnlyList<ColumnVector> columns, Action<DeidentifiedBatch>? recycle = null)
    {
        _source = source;
        _recycle = recycle;
        PersonIds = personIds;
        Columns = columns;
    }

    public int Count => _source.Count;
    public string?[]? PersonIds { get; }
    public IReadOnlyList<ColumnVector> Columns { get; }

    /// <summary>Source line of each row.</summary>
    public long[] Lines => _source.Lines;

    /// <summary>Hands the arrays back (the source batch's to the reader, the generated ones to the de-identifier).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _recycle?.Invoke(this);
        _source.Dispose();
    }
}
