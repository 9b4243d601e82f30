using Hygie.Core.Catalog;
using Hygie.Ingest.Columns;
using Hygie.Ingest.Deidentification;
using Hygie.Ingest.Schemas;
using Hygie.Ingest.Values;
using Hygie.Storage.Sealing;
using Parquet;
using Parquet.Schema;

namespace Hygie.Ingest.Deposit;

/// <summary>Writes de-identified batches as Parquet row groups (one per batch) into a stream: <c>person_id</c> as text,
/// integers as INT64, year/month as INT32, numbers as DOUBLE, dates as DATE, datetimes as TIMESTAMP, text as UTF-8.
/// A table with persons (a <see cref="StoredColumns.Person"/> field) gets one more column, last: each row's
/// <see cref="StoredColumns.PersonIndex"/>, the rank of its person among the part's <see cref="Persons"/>.</summary>
public sealed class ParquetPartWriter : IAsyncDisposable
{
    /// <summary>
    /// The plaintext bytes per sealed chunk of a part: a workspace unseals only the chunks holding the columns it loads,
    /// and a column's chunk in a row group is a few hundred KiB, so the default 1 MiB would unseal most of a row group.
    /// </summary>
    public const int SealedChunkSize = 64 << 10;

    private readonly ParquetWriter _writer;
    private readonly DataField[] _fields;
    private readonly FieldType[] _types;
    private readonly int _person; // the person field's position, or -1
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<string> _persons = [];

    private ParquetPartWriter(ParquetWriter writer, DataField[] fields, FieldType[] types, int person)
    {
        _writer = writer;
        _fields = fields;
        _types = types;
        _person = person;
    }

    /// <summary>The part's persons (hub pseudonyms), each once, in the order of their index: the part's persons object.</summary>
    public IReadOnlyList<string> Persons => _persons;

    private static ParquetSchema SchemaOf(TableSchema output, bool indexed) =>
        new([.. output.Fields.Select(Field).Cast<Field>(), .. indexed ? [new DataField<int?>(StoredColumns.PersonIndex)] : Array.Empty<Field>()]);

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

    /// <param name="output">the columns stored; its <see cref="StoredColumns.Person"/> field, if any, holds hub pseudonyms.</param>
    public static async Task<ParquetPartWriter> CreateAsync(TableSchema output, Stream stream, CancellationToken ct)
    {
        var person = output.Fields.ToList().FindIndex(f => f.Name == StoredColumns.Person && f.Type == FieldType.String);
        var schema = SchemaOf(output, person >= 0);
        var writer = await ParquetWriter.CreateAsync(schema, stream, null, false, ct);
        return new ParquetPartWriter(writer, schema.DataFields, [.. output.Fields.Select(f => f.Type)], person);
    }

    /// <summary>
    /// Seals a part's <see cref="Persons"/> beside it, as <c>….persons.parquet</c>, and returns that object's id (added
    /// to <paramref name="written"/> first, so that a failed deposit deletes it with the part).
    /// </summary>
    public static async Task<string> SealPersonsAsync(SealedObjectStore store, string partObjectId, string dataKeyId, IReadOnlyList<string> persons,
        ICollection<string> written, CancellationToken ct)
    {
        var id = (partObjectId.EndsWith(".parquet", StringComparison.Ordinal) ? partObjectId[..^".parquet".Length] : partObjectId) + ".persons.parquet";
        written.Add(id);
        await store.WriteAsync(id, dataKeyId, (stream, token) => WritePersonsAsync(persons, stream, token), ct);
        return id;
    }

    /// <summary>
    /// Writes <paramref name="persons"/> (a part's <see cref="Persons"/>) as the part's persons object: a Parquet file
    /// of one <see cref="StoredColumns.Person"/> column, in index order.
    /// </summary>
    public static async Task WritePersonsAsync(IReadOnlyList<string> persons, Stream stream, CancellationToken ct)
    {
        var field = new DataField<string>(StoredColumns.Person, false);
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(field), stream, null, false, ct);
        const int rowGroup = 1 << 20;
        var values = new ReadOnlyMemory<char>[Math.Min(rowGroup, persons.Count)];
        for (var start = 0; start < persons.Count; start += rowGroup)
        {
            var n = Math.Min(rowGroup, persons.Count - start);
            for (var i = 0; i < n; i++) values[i] = persons[start + i].AsMemory();
            using var rg = writer.CreateRowGroup();
            await rg.WriteAllPartsAsync<ReadOnlyMemory<char>>(field, values.AsMemory(0, n), null, null, ct);
        }
    }

    /// <summary>
    /// Writes rows as one row group: each row holds one value per field of the output schema, in order (null, or a
    /// <c>string</c>, <c>long</c>, <c>double</c>, <c>bool</c>, <c>DateOnly</c>, <c>DateTime</c>, <c>int</c> as the
    /// field's type says). The FHIR deposit's path, whose rows come from view definitions.
    /// </summary>
    public async Task WriteRowsAsync(IReadOnlyList<object?[]> rows, CancellationToken ct)
    {
        using var rg = _writer.CreateRowGroup();
        for (var c = 0; c < _types.Length; c++)
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
        if (_person >= 0)
        {
            var ids = Grow(ref _ids, rows.Count);
            for (var i = 0; i < rows.Count; i++) ids[i] = (string?)rows[i][_person];
            await WriteIndexAsync(rg, ids, rows.Count, ct);
        }
    }

    private static T?[] Column<T>(IReadOnlyList<object?[]> rows, int c) where T : struct
    {
        var values = new T?[rows.Count];
        for (var i = 0; i < values.Length; i++) values[i] = (T?)rows[i][c];
        return values;
    }

    // Scratch arrays reused from batch to batch: the writer takes non-null values and definition levels (1 set,
    // 0 null), so a batch costs no allocation per cell nor per column.
    private int[] _levels = [];
    private long[] _longs = [];
    private int[] _ints = [];
    private double[] _doubles = [];
    private bool[] _bools = [];
    private DateOnly[] _dates = [];
    private DateTime[] _times = [];
    private char[] _chars = [];
    private ReadOnlyMemory<char>[] _texts = [];
    private string?[] _ids = [];

    public async Task WriteAsync(DeidentifiedBatch batch, CancellationToken ct)
    {
        using var rg = _writer.CreateRowGroup();
        var n = batch.Count;
        var f = 0;
        if (_person >= 0) await WritePersonsAsync(rg, _fields[f++], batch.PersonIds!, n, ct);
        foreach (var column in batch.Columns)
        {
            var field = _fields[f++];
            var nulls = column.Nulls;
            int k;
            switch (column)
            {
                case Int64Column c: await WriteAsync(rg, field, Compact(c.Values, nulls, n, ref _longs, out k), k, nulls, n, ct); break;
                case Int32Column c: await WriteAsync(rg, field, Compact(c.Values, nulls, n, ref _ints, out k), k, nulls, n, ct); break;
                case DoubleColumn c: await WriteAsync(rg, field, Compact(c.Values, nulls, n, ref _doubles, out k), k, nulls, n, ct); break;
                case BooleanColumn c: await WriteAsync(rg, field, Compact(c.Values, nulls, n, ref _bools, out k), k, nulls, n, ct); break;
                case DateColumn c:
                {
                    var values = Grow(ref _dates, n);
                    k = 0;
                    for (var i = 0; i < n; i++) if (!nulls[i]) values[k++] = SndsDates.ToDate(c.Values[i]);
                    await WriteAsync(rg, field, values, k, nulls, n, ct);
                    break;
                }
                case TimestampColumn c:
                {
                    var values = Grow(ref _times, n);
                    k = 0;
                    for (var i = 0; i < n; i++) if (!nulls[i]) values[k++] = SndsDates.ToDateTime(c.Values[i]);
                    await WriteAsync(rg, field, values, k, nulls, n, ct);
                    break;
                }
                case StringColumn c: await WriteAsync(rg, field, Texts(c, n, out k), k, nulls, n, ct); break;
                default: throw new InvalidOperationException($"column {column.Name}: unsupported vector {column.GetType().Name}");
            }
        }
        if (_person >= 0) await WriteIndexAsync(rg, batch.PersonIds!, n, ct);
    }

    /// <summary>The person index column: each row's person numbered in the order the part first meets it.</summary>
    private Task WriteIndexAsync(ParquetRowGroupWriter rg, string?[] ids, int n, CancellationToken ct)
    {
        var values = Grow(ref _ints, n);
        var levels = Grow(ref _levels, n);
        var k = 0;
        for (var i = 0; i < n; i++)
        {
            if (ids[i] is not { } id) { levels[i] = 0; continue; }
            if (!_index.TryGetValue(id, out var number))
            {
                number = _persons.Count;
                _index.Add(id, number);
                _persons.Add(id);
            }
            values[k++] = number;
            levels[i] = 1;
        }
        return rg.WriteAllPartsAsync<int>(_fields[^1], values.AsMemory(0, k), levels.AsMemory(0, n), null, ct);
    }

    private Task WritePersonsAsync(ParquetRowGroupWriter rg, DataField field, string?[] ids, int n, CancellationToken ct)
    {
        var values = Grow(ref _texts, n);
        var levels = Grow(ref _levels, n);
        var k = 0;
        for (var i = 0; i < n; i++)
        {
            if (ids[i] is { } id) { values[k++] = id.AsMemory(); levels[i] = 1; }
            else levels[i] = 0;
        }
        return rg.WriteAllPartsAsync<ReadOnlyMemory<char>>(field, values.AsMemory(0, k), levels.AsMemory(0, n), null, ct);
    }

    private Task WriteAsync<T>(ParquetRowGroupWriter rg, DataField field, T[] values, int count, bool[] nulls, int n, CancellationToken ct) where T : struct
    {
        var levels = Grow(ref _levels, n);
        for (var i = 0; i < n; i++) levels[i] = nulls[i] ? 0 : 1;
        return rg.WriteAllPartsAsync<T>(field, values.AsMemory(0, count), levels.AsMemory(0, n), null, ct);
    }

    /// <summary>The non-null values, in order, into the scratch array; <paramref name="count"/> of them.</summary>
    private static T[] Compact<T>(T[] values, bool[] nulls, int n, ref T[] scratch, out int count) where T : struct
    {
        if (nulls.AsSpan(0, n).IndexOf(true) < 0)
        {
            count = n;
            return values;
        }
        var result = Grow(ref scratch, n);
        var k = 0;
        for (var i = 0; i < n; i++) if (!nulls[i]) result[k++] = values[i];
        count = k;
        return result;
    }

    /// <summary>Each non-null cell as characters, decoded into one shared buffer (text is UTF-8 in the batch).</summary>
    private ReadOnlyMemory<char>[] Texts(StringColumn c, int n, out int count)
    {
        var values = Grow(ref _texts, n);
        var chars = Grow(ref _chars, Math.Max(16, c.Offsets[n]));
        var data = c.Data;
        var offsets = c.Offsets;
        var nulls = c.Nulls;
        var at = 0;
        var k = 0;
        for (var i = 0; i < n; i++)
        {
            if (nulls[i]) continue;
            var bytes = data.AsSpan(offsets[i], offsets[i + 1] - offsets[i]);
            int length;
            if (System.Text.Ascii.IsValid(bytes))
            {
                System.Text.Ascii.ToUtf16(bytes, chars.AsSpan(at), out length);
            }
            else length = System.Text.Encoding.UTF8.GetChars(bytes, chars.AsSpan(at)); // never more chars than bytes
            values[k++] = new ReadOnlyMemory<char>(chars, at, length);
            at += length;
        }
        count = k;
        return values;
    }

    private static T[] Grow<T>(ref T[] array, int n)
    {
        if (array.Length < n) array = new T[n];
        return array;
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
