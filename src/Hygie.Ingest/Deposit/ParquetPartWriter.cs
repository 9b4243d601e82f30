using Hygie.Ingest.Columns;
using Hygie.Ingest.Deidentification;
using Hygie.Ingest.Schemas;
using Hygie.Ingest.Values;
using Parquet;
using Parquet.Schema;

namespace Hygie.Ingest.Deposit;

/// <summary>Writes de-identified batches as Parquet row groups (one per batch) into a stream: <c>person_id</c> as text,
/// integers as INT64, year/month as INT32, numbers as DOUBLE, dates as DATE, datetimes as TIMESTAMP, text as UTF-8.</summary>
public sealed class ParquetPartWriter : IAsyncDisposable
{
    private readonly ParquetWriter _writer;
    private readonly DataField[] _fields;
    private readonly bool _hasPerson;
    private readonly FieldType[] _types;

    private ParquetPartWriter(ParquetWriter writer, DataField[] fields, bool hasPerson, FieldType[] types)
    {
        _writer = writer;
        _fields = fields;
        _hasPerson = hasPerson;
        _types = types;
    }

    public static ParquetSchema SchemaOf(TableSchema output) =>
        new(output.Fields.Select(Field).Cast<Field>().ToArray());

    private static DataField Field(FieldSchema f) => f.Type switch
    {
        FieldType.Integer => new DataField<long?>(f.Name),
        FieldType.Number => new DataField<double?>(f.Name),
        FieldType.Boolean => new DataField<bool?>(f.Name),
        FieldType.Date => new DataField<DateOnly?>(f.Name),
        FieldType.DateTime => new DataField<DateTime?>(f.Name),
        FieldType.Year or FieldType.YearMonth or FieldType.Month => new DataField<int?>(f.Name),
        _ => new DataField<string>(f.Name, true),
    };

    public static async Task<ParquetPartWriter> CreateAsync(TableSchema output, bool hasPerson, Stream stream, CancellationToken ct)
    {
        var schema = SchemaOf(output);
        var writer = await ParquetWriter.CreateAsync(schema, stream, null, false, ct);
        return new ParquetPartWriter(writer, schema.DataFields, hasPerson, [.. output.Fields.Select(f => f.Type)]);
    }

    /// <summary>
    /// Writes rows as one row group: each row holds one value per field of the output schema, in order (null, or a
    /// <c>string</c>, <c>long</c>, <c>double</c>, <c>bool</c>, <c>DateOnly</c>, <c>DateTime</c>, <c>int</c> as the
    /// field's type says). The FHIR deposit's path, whose rows come from view definitions.
    /// </summary>
    public async Task WriteRowsAsync(IReadOnlyList<object?[]> rows, CancellationToken ct)
    {
        using var rg = _writer.CreateRowGroup();
        for (var c = 0; c < _fields.Length; c++)
        {
            var field = _fields[c];
            switch (_types[c])
            {
                case FieldType.Integer: await rg.WriteAsync<long>(field, Column<long>(rows, c), null, null, ct); break;
                case FieldType.Number: await rg.WriteAsync<double>(field, Column<double>(rows, c), null, null, ct); break;
                case FieldType.Boolean: await rg.WriteAsync<bool>(field, Column<bool>(rows, c), null, null, ct); break;
                case FieldType.Date: await rg.WriteAsync<DateOnly>(field, Column<DateOnly>(rows, c), null, null, ct); break;
                case FieldType.DateTime: await rg.WriteAsync<DateTime>(field, Column<DateTime>(rows, c), null, null, ct); break;
                case FieldType.Year or FieldType.YearMonth or FieldType.Month: await rg.WriteAsync<int>(field, Column<int>(rows, c), null, null, ct); break;
                default:
                {
                    var values = new string?[rows.Count];
                    for (var i = 0; i < values.Length; i++) values[i] = (string?)rows[i][c];
                    await rg.WriteAsync(field, values!, null);
                    break;
                }
            }
        }
    }

    private static T?[] Column<T>(IReadOnlyList<object?[]> rows, int c) where T : struct
    {
        var values = new T?[rows.Count];
        for (var i = 0; i < values.Length; i++) values[i] = (T?)rows[i][c];
        return values;
    }

    public async Task WriteAsync(DeidentifiedBatch batch, CancellationToken ct)
    {
        using var rg = _writer.CreateRowGroup();
        var n = batch.Count;
        var f = 0;
        if (_hasPerson) await rg.WriteAsync(_fields[f++], batch.PersonIds!.Length == n ? batch.PersonIds : batch.PersonIds[..n], null);
        foreach (var column in batch.Columns)
        {
            var field = _fields[f++];
            var nulls = column.Nulls;
            switch (column)
            {
                case Int64Column c: await rg.WriteAsync<long>(field, Nullable(c.Values, nulls, n), null, null, ct); break;
                case Int32Column c: await rg.WriteAsync<int>(field, Nullable(c.Values, nulls, n), null, null, ct); break;
                case DoubleColumn c: await rg.WriteAsync<double>(field, Nullable(c.Values, nulls, n), null, null, ct); break;
                case BooleanColumn c: await rg.WriteAsync<bool>(field, Nullable(c.Values, nulls, n), null, null, ct); break;
                case DateColumn c:
                {
                    var values = new DateOnly?[n];
                    for (var i = 0; i < n; i++) if (!nulls[i]) values[i] = SndsDates.ToDate(c.Values[i]);
                    await rg.WriteAsync<DateOnly>(field, values, null, null, ct);
                    break;
                }
                case TimestampColumn c:
                {
                    var values = new DateTime?[n];
                    for (var i = 0; i < n; i++) if (!nulls[i]) values[i] = SndsDates.ToDateTime(c.Values[i]);
                    await rg.WriteAsync<DateTime>(field, values, null, null, ct);
                    break;
                }
                case StringColumn c:
                {
                    var values = new string?[n];
                    for (var i = 0; i < n; i++) values[i] = c.GetString(i);
                    await rg.WriteAsync(field, values!, null);
                    break;
                }
                default: throw new InvalidOperationException($"column {column.Name}: unsupported vector {column.GetType().Name}");
            }
        }
    }

    private static T?[] Nullable<T>(T[] values, bool[] nulls, int n) where T : struct
    {
        var result = new T?[n];
        for (var i = 0; i < n; i++) if (!nulls[i]) result[i] = values[i];
        return result;
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
