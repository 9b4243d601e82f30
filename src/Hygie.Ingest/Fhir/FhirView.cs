using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;
using Hygie.Core.Errors;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.Fhir;

/// <summary>One column of a <see cref="FhirView"/>: a FHIRPath expression and the type of its value.</summary>
public sealed record FhirViewColumn(string Name, string Path, string FhirType, FieldType Type, string? Description, bool IsDate, CompiledExpression Compiled)
{
    /// <summary>The column holds a resource's keyed pseudonym (its own or a referenced one's), which workspaces re-key per project.</summary>
    public bool IsResourceKey => Path.Contains("getResourceKey(", StringComparison.Ordinal) || Path.Contains("getReferenceKey(", StringComparison.Ordinal);
}

/// <summary>
/// A flattening of one resource type into a table, written as a SQL on FHIR v2 <c>ViewDefinition</c>: <c>resource</c>,
/// <c>select[].column[]</c> (<c>name</c>, FHIRPath <c>path</c>, FHIR <c>type</c>, <c>description</c>; nested
/// <c>select</c>s are flattened), <c>where[].path</c>, and the functions <c>getResourceKey()</c> and
/// <c>getReferenceKey([type])</c>. One row per resource: <c>forEach</c>, <c>forEachOrNull</c> and <c>unionAll</c> are
/// refused, and a column that yields several values takes the first. A column tagged <c>hygie/date-column</c> is the
/// table's date, to which a permit's data period applies. Paths are evaluated by the SDK's FHIRPath engine on the
/// resource as stored (de-identified, ids and references pseudonymized), so a view cannot reach a dropped element.
/// </summary>
public sealed partial class FhirView
{
    public const string DateColumnTag = "hygie/date-column";

    private static readonly FhirPathCompiler Compiler = CreateCompiler();

    private FhirView(string name, string resource, string? title, string? description, IReadOnlyList<FhirViewColumn> columns, IReadOnlyList<CompiledExpression> where)
    {
        Name = name;
        Resource = resource;
        Title = title;
        Description = description;
        Columns = columns;
        Where = where;
    }

    public string Name { get; }
    public string Resource { get; }
    public string? Title { get; }
    public string? Description { get; }
    public IReadOnlyList<FhirViewColumn> Columns { get; }
    public IReadOnlyList<CompiledExpression> Where { get; }

    /// <summary>The view's columns as a table schema (without <c>person_id</c>, which the deposit adds first).</summary>
    public TableSchema Schema(string personColumn) => new(Name,
        [new FieldSchema(personColumn, FieldType.String) { Description = "hub pseudonym of the patient" },
         .. Columns.Select(c => new FieldSchema(c.Name, c.Type) { Description = c.Description ?? "" })])
        { Title = Title ?? "", Source = "view:" + Name };

    /// <summary>The built-in views of the hub: patient, encounter, condition, observation, medication_request,
    /// procedure, immunization.</summary>
    public static IReadOnlyList<FhirView> BuiltIn => LazyBuiltIn.Value;

    private static readonly Lazy<IReadOnlyList<FhirView>> LazyBuiltIn = new(() =>
    {
        var assembly = typeof(FhirView).Assembly;
        const string prefix = "Hygie.Ingest.BuiltIn.fhir-views.";
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return Parse(reader.ReadToEnd(), n[prefix.Length..]);
            }).ToList();
    });

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex ColumnName();

    [GeneratedRegex(@"getReferenceKey\(\s*([A-Z][A-Za-z]+)\s*\)")]
    private static partial Regex TypeSpecifierArgument();

    /// <summary>Reads a ViewDefinition; refuses what this hub does not evaluate, naming the member.</summary>
    public static FhirView Parse(string json, string source)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(json).RootElement; }
        catch (JsonException e) { throw Fail(source, $"not JSON (line {e.LineNumber + 1})", null); }
        if (root.ValueKind != JsonValueKind.Object || Text(root, "resourceType") != "ViewDefinition") throw Fail(source, "not a ViewDefinition", "resourceType");
        var name = Text(root, "name") ?? throw Fail(source, "a view needs a name", "name");
        if (!ColumnName().IsMatch(name)) throw Fail(source, "the name is a table name (lower case letters, digits, _)", "name");
        var resource = Text(root, "resource") ?? throw Fail(source, "a view names its resource type", "resource");
        if (!FhirReference.IsResourceType(resource)) throw Fail(source, $"{resource} is not an R4 resource type", "resource");
        foreach (var unsupported in new[] { "constant" })
            if (root.TryGetProperty(unsupported, out _)) throw Fail(source, $"'{unsupported}' is not supported", unsupported);
        var columns = new List<FhirViewColumn>();
        if (!root.TryGetProperty("select", out var select) || select.ValueKind != JsonValueKind.Array) throw Fail(source, "a view has a select array", "select");
        foreach (var s in select.EnumerateArray()) ReadSelect(s, source, columns);
        if (columns.Count == 0) throw Fail(source, "a view has at least one column", "select");
        var duplicate = columns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw Fail(source, $"column {duplicate.Key} appears twice", "select");
        var where = new List<CompiledExpression>();
        if (root.TryGetProperty("where", out var w))
            foreach (var clause in w.EnumerateArray())
                where.Add(Compile(Text(clause, "path") ?? throw Fail(source, "a where clause has a path", "where"), source, "where"));
        return new FhirView(name, resource, Text(root, "title"), Text(root, "description"), columns, where);
    }

    private static void ReadSelect(JsonElement select, string source, List<FhirViewColumn> columns)
    {
        foreach (var unsupported in new[] { "forEach", "forEachOrNull", "unionAll", "repeat" })
            if (select.TryGetProperty(unsupported, out _)) throw Fail(source, $"'{unsupported}' is not supported: a view gives one row per resource", "select." + unsupported);
        if (select.TryGetProperty("column", out var cols))
            foreach (var c in cols.EnumerateArray())
            {
                var name = Text(c, "name") ?? throw Fail(source, "a column has a name", "column");
                if (!ColumnName().IsMatch(name) || name == Deposit.FhirDeposit.PersonColumn) throw Fail(source, $"'{name}' is not a column name this hub accepts", "column.name");
                var path = Text(c, "path") ?? throw Fail(source, $"column {name} has no path", "column.path");
                var fhirType = Text(c, "type") ?? "string";
                if (c.TryGetProperty("collection", out var collection) && collection.ValueKind == JsonValueKind.True)
                    throw Fail(source, $"column {name}: collection columns are not supported", "column.collection");
                var isDate = c.TryGetProperty("tag", out var tags) && tags.EnumerateArray().Any(t => Text(t, "name") == DateColumnTag && Text(t, "value") == "true");
                var type = FieldTypeOf(fhirType) ?? throw Fail(source, $"column {name}: '{fhirType}' is not a FHIR primitive type this hub stores", "column.type");
                if (isDate && type != FieldType.Date) throw Fail(source, $"column {name}: the date column is of type date", "column.tag");
                columns.Add(new FhirViewColumn(name, path, fhirType, type, Text(c, "description"), isDate, Compile(path, source, name)));
            }
        if (select.TryGetProperty("select", out var nested))
            foreach (var s in nested.EnumerateArray()) ReadSelect(s, source, columns);
    }

    private static FieldType? FieldTypeOf(string fhirType) => fhirType switch
    {
        "string" or "code" or "id" or "uri" or "url" or "canonical" or "oid" or "uuid" or "markdown" or "time" or "base64Binary" => FieldType.String,
        "date" => FieldType.Date,
        "dateTime" or "instant" => FieldType.DateTime,
        "decimal" => FieldType.Number,
        "integer" or "positiveInt" or "unsignedInt" or "integer64" => FieldType.Integer,
        "boolean" => FieldType.Boolean,
        _ => null,
    };

    private static CompiledExpression Compile(string path, string source, string what)
    {
        try
        {
            return Compiler.Compile(TypeSpecifierArgument().Replace(path, "getReferenceKey('$1')"));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            throw Fail(source, $"{what}: '{path}' is not a FHIRPath expression this hub evaluates ({e.Message})", what);
        }
    }

    private static FhirPathCompiler CreateCompiler()
    {
        var symbols = new SymbolTable().AddStandardFP().AddFhirExtensions();
        symbols.Add("getResourceKey", (PocoNode focus) => (focus.Poco as Resource)?.Id, doNullProp: true);
        symbols.Add("getReferenceKey", (PocoNode focus) => ReferenceKey(focus, null), doNullProp: true);
        symbols.Add("getReferenceKey", (PocoNode focus, string type) => ReferenceKey(focus, type), doNullProp: true);
        return new FhirPathCompiler(symbols);
    }

    /// <summary>The id part of a stored (already rewritten, <c>Type/id</c>) reference, if of <paramref name="type"/>.</summary>
    private static string? ReferenceKey(PocoNode focus, string? type)
    {
        if (focus.Poco is not ResourceReference { Reference: { } reference }) return null;
        var slash = reference.IndexOf('/');
        if (slash <= 0 || reference.IndexOf('/', slash + 1) >= 0) return null;
        return type is null || reference.AsSpan(0, slash).SequenceEqual(type) ? reference[(slash + 1)..] : null;
    }

    /// <summary>Whether the resource passes the view's where clauses.</summary>
    public bool Accepts(PocoNode resource, FhirEvaluationContext context) =>
        Where.All(w => w.Invoke([resource], context).FirstOrDefault()?.GetValue() is true);

    /// <summary>The row of a resource: one value per column (null when the path yields nothing), typed as the column.</summary>
    public object?[] Row(PocoNode resource, FhirEvaluationContext context)
    {
        var row = new object?[Columns.Count];
        for (var i = 0; i < row.Length; i++)
        {
            var column = Columns[i];
            PocoNode? first;
            try
            {
                first = column.Compiled.Invoke([resource], context).FirstOrDefault();
            }
            catch (InvalidOperationException)
            {
                first = null; // a function the data makes meaningless (first() of nothing is fine; single() of many is not)
            }
            row[i] = first is null ? null : Value(first, column.Type);
        }
        return row;
    }

    private static object? Value(PocoNode node, FieldType type)
    {
        var literal = node.Poco switch
        {
            PrimitiveType p => p.ToString(),
            _ => node.GetValue() is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null,
        };
        if (string.IsNullOrEmpty(literal)) return null;
        return type switch
        {
            FieldType.String => literal,
            FieldType.Date => FhirDates.FirstDay(literal),
            FieldType.DateTime => FhirDates.Timestamp(literal),
            FieldType.Number => double.TryParse(literal, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null,
            FieldType.Integer => long.TryParse(literal, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null,
            FieldType.Boolean => bool.TryParse(literal, out var b) ? b : null,
            _ => literal,
        };
    }

    private static string? Text(JsonElement e, string member) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(member, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static ValidationFailedException Fail(string source, string message, string? field) =>
        new($"view {source}: {message}", field, "view-definition");
}
