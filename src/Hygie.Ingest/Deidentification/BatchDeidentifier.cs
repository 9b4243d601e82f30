using Hygie.Core.Catalog;
using Hygie.Core.Deidentification;
using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;
using Hygie.Ingest.Columns;
using Hygie.Ingest.Schemas;
using Hygie.Ingest.Values;

namespace Hygie.Ingest.Deidentification;

/// <summary>
/// Applies a <see cref="DeidentificationProfile"/> to the batches of one table: the identifier columns become one
/// <c>person_id</c> (the first non-null identifier of the row, in the order BEN_NIR_PSA, NIR_ANO_17, BEN_IDT_ANO,
/// BEN_NIR_ANO, NIR, INS; secondary SNDS identifiers resolved through <see cref="PersonAliases"/> when given, and
/// recorded there when a row carries a BEN_NIR_PSA too), dropped columns disappear, dates are generalized or shifted
/// in place (the 1600-01-01 sentinel untouched), communes become départements. The plan is checked once, against the
/// table's columns, before any row: a rule that cannot apply (a date rule on a text column, a missing département
/// column) is refused naming the column. Not thread-safe (the pseudonymizer is not).
/// </summary>
public sealed class BatchDeidentifier
{
    public const string PersonIdColumn = StoredColumns.Person;

    private static readonly PersonIdentifierKind[] Priority =
    [
        PersonIdentifierKind.SndsBenNirPsa, PersonIdentifierKind.SndsNirAno17, PersonIdentifierKind.SndsBenIdtAno,
        PersonIdentifierKind.SndsBenNirAno, PersonIdentifierKind.Nir, PersonIdentifierKind.Ins,
    ];

    private readonly Pseudonymizer _pseudonymizer;
    private readonly PersonAliases? _aliases;
    private readonly DateShifter? _shifter;
    private readonly Dictionary<string, int> _offsets = new(StringComparer.Ordinal);
    private readonly List<(string Column, ColumnRule Rule)> _plan = [];
    private readonly List<(string Column, PersonIdentifierKind Kind, string? RankColumn)> _identifiers = [];
    private readonly string _file;

    /// <param name="schema">the table's columns as the reader delivers them.</param>
    /// <param name="shifter">required when a rule shifts dates.</param>
    /// <param name="fileName">named in errors.</param>
    public BatchDeidentifier(TableSchema schema, IReadOnlyList<string> columns, DeidentificationProfile profile, Pseudonymizer pseudonymizer,
        PersonAliases? aliases = null, DateShifter? shifter = null, string fileName = "input")
    {
        _pseudonymizer = pseudonymizer;
        _aliases = aliases;
        _shifter = shifter;
        _file = fileName;
        var present = new HashSet<string>(columns, StringComparer.OrdinalIgnoreCase);
        var output = new List<FieldSchema>();
        foreach (var name in columns)
        {
            var field = schema.Field(name) ?? throw new ArgumentException($"column {name} is not in table {schema.Name}", nameof(columns));
            var rule = profile.RuleFor(field.Name);
            Check(field, rule, present);
            if (rule.Action == ColumnAction.Pseudonymize)
            {
                _identifiers.Add((field.Name, rule.Identifier!.Value, rule.RankColumn is { } r && present.Contains(r) ? r : null));
                continue;
            }
            if (rule.Action == ColumnAction.Drop) continue;
            _plan.Add((field.Name, rule));
            output.Add(rule.Action == ColumnAction.CommuneToDepartement ? field with { Length = 3, MaxLength = null, IsIdentifier = false } : field);
        }
        _identifiers.Sort((a, b) => Array.IndexOf(Priority, a.Kind).CompareTo(Array.IndexOf(Priority, b.Kind)));
        if (_identifiers.Count > 0) output.Insert(0, new FieldSchema(PersonIdColumn, FieldType.String) { Description = "hub pseudonym of the person" });
        if (output.Count == 0) throw new ValidationFailedException($"de-identification of {schema.Name} leaves no column", null, "deidentification-profile");
        OutputSchema = new TableSchema(schema.Name, output) { Title = schema.Title, Product = schema.Product, Source = schema.Source };
    }

    /// <summary>The columns stored: <c>person_id</c> first (when the table has identifiers), then the others kept.</summary>
    public TableSchema OutputSchema { get; }

    public bool HasPersonId => _identifiers.Count > 0;

    private void Check(FieldSchema field, ColumnRule rule, HashSet<string> present)
    {
        var ok = rule.Action switch
        {
            ColumnAction.DateToMonth or ColumnAction.DateToYear => field.Type is FieldType.Date or FieldType.DateTime or FieldType.YearMonth,
            ColumnAction.ShiftDate => field.Type is FieldType.Date or FieldType.DateTime,
            ColumnAction.CommuneToDepartement => field.Type is FieldType.String,
            ColumnAction.Pseudonymize => field.Type is FieldType.String,
            _ => true,
        };
        if (!ok) throw new ValidationFailedException($"de-identification: column {field.Name} is {field.Type.ToSchemaName()}, which '{rule.Action.ToJsonName()}' cannot apply to", field.Name, "deidentification-profile");
        if (rule.Action == ColumnAction.CommuneToDepartement && rule.DepartementColumn is { } d && !present.Contains(d))
            throw new ValidationFailedException($"de-identification: column {field.Name} needs its département column {d}, which the input lacks", field.Name, "deidentification-profile");
        if (rule.Action == ColumnAction.ShiftDate && _shifter is null)
            throw new ValidationFailedException($"de-identification: column {field.Name} is shifted but no date-shift key was given", field.Name, "deidentification-profile");
    }

    /// <summary>De-identifies a batch. Date columns are changed in place: the source batch must not be read as raw
    /// afterwards. Dispose the result when written (it disposes the source batch).</summary>
    public DeidentifiedBatch Apply(RowBatch batch)
    {
        var personIds = _identifiers.Count > 0 ? PersonIds(batch) : null;
        if (_plan.Any(p => p.Rule.Action == ColumnAction.ShiftDate) && personIds is null)
            throw new ValidationFailedException($"{_file}: dates are shifted per person but the table has no person identifier", null, "deidentification-profile");
        var columns = new List<ColumnVector>(_plan.Count);
        foreach (var (name, rule) in _plan)
        {
            var column = batch.Column(name)!;
            switch (rule.Action)
            {
                case ColumnAction.Keep:
                    columns.Add(column);
                    break;
                case ColumnAction.DateToMonth:
                case ColumnAction.DateToYear:
                    Generalize(column, batch.Count, rule.Action == ColumnAction.DateToYear);
                    columns.Add(column);
                    break;
                case ColumnAction.ShiftDate:
                    Shift(column, batch.Count, personIds!);
                    columns.Add(column);
                    break;
                case ColumnAction.CommuneToDepartement:
                    columns.Add(Departements((StringColumn)column, rule.DepartementColumn is { } d ? batch.Column<StringColumn>(d) : null, batch.Count));
                    break;
            }
        }
        return new DeidentifiedBatch(batch, personIds, columns, Recycle);
    }

    // Arrays of a disposed result, reused by the next batch of the same size (a deposit's batches are all full but
    // the last): saves two large-object allocations per batch.
    private readonly Lock _spareLock = new();
    private string?[]? _spareIds;
    private readonly Stack<StringColumn> _spareDepartements = new();
    private readonly HashSet<StringColumn> _generated = new(ReferenceEqualityComparer.Instance);

    private void Recycle(DeidentifiedBatch done)
    {
        lock (_spareLock)
        {
            if (done.PersonIds is { } ids) _spareIds = ids;
            foreach (var c in done.Columns)
                if (c is StringColumn s && _generated.Remove(s) && _spareDepartements.Count < 4) _spareDepartements.Push(s);
        }
    }

    private string?[] PersonIdArray(int count)
    {
        lock (_spareLock)
        {
            if (_spareIds is { } spare && spare.Length == count)
            {
                _spareIds = null;
                return spare;
            }
        }
        return new string?[count];
    }

    private StringColumn DepartementColumn(FieldSchema field, int count)
    {
        lock (_spareLock)
        {
            StringColumn? column = null;
            while (_spareDepartements.TryPop(out var spare))
                if (spare.Nulls.Length >= count && spare.Field == field) { column = spare; break; }
            column ??= new StringColumn(field, Math.Max(1, count));
            _generated.Add(column);
            return column;
        }
    }

    private string?[] PersonIds(RowBatch batch)
    {
        var ids = PersonIdArray(batch.Count);
        var sources = _identifiers.Select(i => (i.Kind, Column: batch.Column<StringColumn>(i.Column), Rank: i.RankColumn is null ? null : batch.Column(i.RankColumn) as Int64Column, i.Column)).ToArray();
        for (var row = 0; row < batch.Count; row++)
        {
            string? primary = null;
            foreach (var (kind, column, rank, name) in sources)
            {
                if (column.IsNull(row)) continue;
                var id = PseudonymOf(kind, column.GetBytes(row), rank is null || rank.IsNull(row) ? null : (int?)rank.Values[row], batch.Lines[row], name);
                if (kind is PersonIdentifierKind.SndsBenIdtAno or PersonIdentifierKind.SndsBenNirAno && _aliases is not null)
                {
                    // a secondary identifier: linked to the row's primary person, or resolved through known links
                    if (primary is not null) { _aliases.Link(id, primary); continue; }
                    id = _aliases.Resolve(id);
                }
                primary ??= id;
                if (_aliases is null) break;
            }
            ids[row] = primary;
        }
        return ids;
    }

    private string PseudonymOf(PersonIdentifierKind kind, ReadOnlySpan<byte> value, int? rank, long line, string column)
    {
        if (kind is PersonIdentifierKind.Nir or PersonIdentifierKind.Ins)
        {
            var text = System.Text.Encoding.UTF8.GetString(value);
            var check = NirValidator.Validate(text);
            if (!check.IsValid) throw RowRefused(line, column, check.Describe());
            return _pseudonymizer.PersonId(kind == PersonIdentifierKind.Nir ? PersonIdentifier.Nir(text) : PersonIdentifier.Ins(text));
        }
        if (!_pseudonymizer.TryPersonIdOfSnds(kind, value, rank, out var id))
            throw RowRefused(line, column, rank is null && _pseudonymizer.Options.SndsLinkage == SndsLinkage.PsaAndRank
                ? "the twin rank is missing" : "not an SNDS identifier (printable ASCII, at most 128 characters)");
        return id;
    }

    private ValidationFailedException RowRefused(long line, string column, string why)
    {
        var e = new ValidationFailedException($"{_file} line {line}, column {column}: {why}", column, "pseudonymization");
        e.Extensions["line"] = line;
        return e;
    }

    private static void Generalize(ColumnVector column, int count, bool toYear)
    {
        switch (column)
        {
            case DateColumn d:
                for (var i = 0; i < count; i++)
                    if (!d.Nulls[i]) d.Values[i] = SndsDates.FromDate(toYear ? Generalization.ToYear(d.GetDate(i)) : Generalization.ToMonth(d.GetDate(i)));
                break;
            case TimestampColumn t:
                for (var i = 0; i < count; i++)
                    if (!t.Nulls[i] && !t.IsMissingSentinel(i))
                        t.Values[i] = SndsDates.FromDateTime(toYear ? Generalization.ToYear(t.GetDateTime(i)) : Generalization.ToMonth(t.GetDateTime(i)));
                break;
            case Int32Column ym when toYear:
                for (var i = 0; i < count; i++)
                    if (!ym.Nulls[i]) ym.Values[i] = ym.Values[i] / 100 * 100 + 1;
                break;
        }
    }

    private void Shift(ColumnVector column, int count, string?[] persons)
    {
        for (var i = 0; i < count; i++)
        {
            if (column.Nulls[i] || persons[i] is not { } person) continue;
            if (!_offsets.TryGetValue(person, out var offset))
            {
                if (_offsets.Count > 1_000_000) _offsets.Clear();
                _offsets[person] = offset = _shifter!.OffsetDays(person);
            }
            switch (column)
            {
                case DateColumn d when !d.IsMissingSentinel(i):
                    d.Values[i] += offset;
                    break;
                case TimestampColumn t when !t.IsMissingSentinel(i):
                    t.Values[i] += offset * SndsDates.MicrosPerDay;
                    break;
            }
        }
    }

    // département codes by the raw bytes they come from (a few hundred distinct values): one string per distinct
    // value instead of two per row
    private readonly Dictionary<ulong, byte[]?> _departements = [];
    private readonly Dictionary<FieldSchema, FieldSchema> _departementFields = new(ReferenceEqualityComparer.Instance);

    private StringColumn Departements(StringColumn communes, StringColumn? departements, int count)
    {
        var result = DepartementColumn(_departementFields.TryGetValue(communes.Field, out var f) ? f
            : _departementFields[communes.Field] = communes.Field with { Length = 3, MaxLength = null, IsIdentifier = false }, count);
        for (var i = 0; i < count; i++)
        {
            byte[]? code = null;
            if (departements is not null)
            {
                if (!departements.IsNull(i) && !communes.IsNull(i)) code = Departement(departements.GetBytes(i), fromCommune: false);
            }
            else if (!communes.IsNull(i)) code = Departement(communes.GetBytes(i), fromCommune: true);
            if (code is null) result.SetNull(i);
            else result.TryParseValue(i, code);
        }
        result.Commit(count);
        return result;
    }

    private byte[]? Departement(ReadOnlySpan<byte> raw, bool fromCommune)
    {
        if (fromCommune && raw.Length > 8) return null; // no commune code is that long, even padded
        var cacheable = raw.Length <= 7;
        var key = (fromCommune ? 0x80UL : 0UL) | (uint)raw.Length;
        if (cacheable)
        {
            for (var k = 0; k < raw.Length; k++) key |= (ulong)raw[k] << (8 * (k + 1));
            if (_departements.TryGetValue(key, out var cached)) return cached;
        }
        byte[]? code;
        if (fromCommune)
        {
            Span<char> text = stackalloc char[raw.Length];
            for (var k = 0; k < raw.Length; k++) text[k] = (char)raw[k];
            code = Code(Generalization.CommuneToDepartement(text));
        }
        else code = Code(Generalization.NormalizeDepartement(System.Text.Encoding.UTF8.GetString(raw)));
        if (cacheable && _departements.Count < 100_000) _departements[key] = code;
        return code;
    }

    private static byte[]? Code(string? departement) => departement is null ? null : System.Text.Encoding.ASCII.GetBytes(departement);
}
