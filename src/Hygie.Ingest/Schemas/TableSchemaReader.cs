using System.Globalization;
using System.Text.Json;
using Hygie.Core.Errors;

namespace Hygie.Ingest.Schemas;

/// <summary>
/// Reads Frictionless Table Schema JSON as the SNDS publishes it (schema-snds), quirks included: <c>primaryKey</c> as a
/// string or an array, <c>length</c> as <c>"17"</c> or <c>"10,2"</c> or null, non-standard members (<c>nomenclature</c>,
/// <c>type_oracle</c>, <c>regle_gestion</c>, <c>history</c>, <c>produit</c>…, ignored), <c>date</c> fields with format
/// <c>%m</c> (a month number, read as <see cref="FieldType.Month"/>), <c>trueValues</c>/<c>falseValues</c>,
/// <c>missingValues</c>, foreign keys. A schema that cannot be read is refused with a
/// <see cref="ValidationFailedException"/> naming the file and the field.
/// </summary>
public static class TableSchemaReader
{
    public static TableSchema Load(string path)
    {
        string json;
        try { json = File.ReadAllText(path); }
        catch (IOException e) { throw new ValidationFailedException($"{Path.GetFileName(path)}: cannot read the schema ({e.Message})", null, "schema"); }
        return Parse(json, path);
    }

    public static TableSchema Parse(Stream utf8Json, string source)
    {
        using var reader = new StreamReader(utf8Json);
        return Parse(reader.ReadToEnd(), source);
    }

    /// <param name="source">the file name or path, used in errors and kept as <see cref="TableSchema.Source"/>.</param>
    public static TableSchema Parse(string json, string source)
    {
        var file = Path.GetFileName(source);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw Fail(file, null, $"not valid JSON (line {e.LineNumber + 1})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Fail(file, null, "a table schema is a JSON object");

            var name = OptionalString(root, "name", file, null);
            if (string.IsNullOrWhiteSpace(name)) name = Path.GetFileNameWithoutExtension(source);

            if (!root.TryGetProperty("fields", out var fieldsEl) || fieldsEl.ValueKind != JsonValueKind.Array)
                throw Fail(file, "fields", "the schema has no \"fields\" array");
            var fields = new List<FieldSchema>();
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var i = 0;
            foreach (var f in fieldsEl.EnumerateArray())
            {
                var field = ReadField(f, file, i++);
                if (!seen.Add(field.Name)) throw Fail(file, field.Name, "the field appears twice");
                fields.Add(field);
            }
            if (fields.Count == 0) throw Fail(file, "fields", "the schema has no fields");

            var primaryKey = StringOrArray(root, "primaryKey", file);
            foreach (var k in primaryKey)
                if (!seen.Contains(k)) throw Fail(file, k, "the primary key names a field the schema does not have");
            // The primary key does not make its fields required: the SNDS publishes primary keys for joins, and its own
            // synthetic extracts leave key fields empty (ETA_NUM, RHA_NUM, SEQ_NUM in the PMSI). Only
            // constraints.required does.

            var missing = root.TryGetProperty("missingValues", out var mv) ? StringArray(mv, file, "missingValues") : [""];
            var foreignKeys = ReadForeignKeys(root, file, seen);

            return new TableSchema(name, fields, primaryKey, missing, foreignKeys)
            {
                Title = OptionalString(root, "title", file, null) ?? "",
                Product = OptionalString(root, "produit", file, null) ?? "",
                Source = source,
            };
        }
    }

    private static FieldSchema ReadField(JsonElement f, string file, int position)
    {
        if (f.ValueKind != JsonValueKind.Object) throw Fail(file, $"fields[{position}]", "a field is a JSON object");
        var name = OptionalString(f, "name", file, $"fields[{position}]");
        if (string.IsNullOrWhiteSpace(name)) throw Fail(file, $"fields[{position}]", "the field has no name");
        name = name.Trim();

        var typeName = OptionalString(f, "type", file, name) ?? "string";
        if (!FieldTypes.TryParse(typeName, out var type) || type == FieldType.Month)
            throw Fail(file, name, $"unknown type \"{typeName}\" (string, integer, number, boolean, date, datetime, year, yearmonth, any)");
        var format = OptionalString(f, "format", file, name) ?? "default";
        if (type == FieldType.Date && format.Trim() == "%m") type = FieldType.Month;

        var (length, scale) = ReadLength(f, file, name);
        int? maxLength = null, minLength = null;
        double? minimum = null, maximum = null;
        IReadOnlyList<string>? enumValues = null;
        var required = false;
        if (f.TryGetProperty("constraints", out var c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind != JsonValueKind.Object) throw Fail(file, name, "constraints is an object");
            maxLength = OptionalInt(c, "maxLength", file, name);
            minLength = OptionalInt(c, "minLength", file, name);
            minimum = OptionalNumber(c, "minimum", file, name);
            maximum = OptionalNumber(c, "maximum", file, name);
            if (c.TryGetProperty("required", out var r))
                required = r.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False or JsonValueKind.Null => false,
                    _ => throw Fail(file, name, "constraints.required is true or false"),
                };
            if (c.TryGetProperty("enum", out var e) && e.ValueKind != JsonValueKind.Null) enumValues = Scalars(e, file, name, "constraints.enum");
        }

        return new FieldSchema(name, type)
        {
            Description = OptionalString(f, "description", file, name) ?? "",
            Format = format,
            Length = length,
            Scale = scale,
            Required = required,
            MaxLength = maxLength,
            MinLength = minLength,
            Minimum = minimum,
            Maximum = maximum,
            Enum = enumValues,
            TrueValues = f.TryGetProperty("trueValues", out var tv) && tv.ValueKind != JsonValueKind.Null ? Scalars(tv, file, name, "trueValues") : null,
            FalseValues = f.TryGetProperty("falseValues", out var fv) && fv.ValueKind != JsonValueKind.Null ? Scalars(fv, file, name, "falseValues") : null,
            IsIdentifier = IdentifierColumns.IsIdentifier(name),
        };
    }

    /// <summary><c>length</c>: null, a number, or a string <c>"17"</c> / <c>"10,2"</c> (precision, scale) / <c>""</c>.</summary>
    private static (int?, int?) ReadLength(JsonElement f, string file, string field)
    {
        if (!f.TryGetProperty("length", out var l)) return (null, null);
        switch (l.ValueKind)
        {
            case JsonValueKind.Null: return (null, null);
            case JsonValueKind.Number when l.TryGetInt32(out var n) && n >= 0: return (n, null);
            case JsonValueKind.String:
                var s = l.GetString()!.Trim();
                if (s.Length == 0 || s == "-") return (null, null);
                var parts = s.Split(',', '.');
                if (parts.Length is 1 or 2
                    && int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                    && (parts.Length == 1 || int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                    return (p, parts.Length == 2 ? int.Parse(parts[1].Trim(), CultureInfo.InvariantCulture) : null);
                throw Fail(file, field, $"length \"{s}\" is neither a number nor precision,scale");
            default: throw Fail(file, field, "length is a number or a string such as \"10,2\"");
        }
    }

    private static List<ForeignKey> ReadForeignKeys(JsonElement root, string file, HashSet<string> fields)
    {
        var result = new List<ForeignKey>();
        if (!root.TryGetProperty("foreignKeys", out var fks) || fks.ValueKind == JsonValueKind.Null) return result;
        if (fks.ValueKind != JsonValueKind.Array) throw Fail(file, "foreignKeys", "foreignKeys is an array");
        var i = 0;
        foreach (var fk in fks.EnumerateArray())
        {
            var label = $"foreignKeys[{i++}]";
            if (fk.ValueKind != JsonValueKind.Object) throw Fail(file, label, "a foreign key is an object");
            var own = StringOrArray(fk, "fields", file);
            if (own.Count == 0) throw Fail(file, label, "a foreign key names its fields");
            foreach (var name in own)
                if (!fields.Contains(name)) throw Fail(file, name, $"{label} names a field the schema does not have");
            if (!fk.TryGetProperty("reference", out var reference) || reference.ValueKind != JsonValueKind.Object)
                throw Fail(file, label, "a foreign key has a reference object");
            var resource = OptionalString(reference, "resource", file, label) ?? "";
            var refFields = StringOrArray(reference, "fields", file);
            if (refFields.Count != own.Count) throw Fail(file, own[0], $"{label} references {refFields.Count} fields for {own.Count}");
            result.Add(new ForeignKey(own, resource, refFields, OptionalString(fk, "description", file, label) ?? ""));
        }
        return result;
    }

    private static List<string> StringOrArray(JsonElement obj, string member, string file)
    {
        if (!obj.TryGetProperty(member, out var el)) return [];
        return el.ValueKind switch
        {
            JsonValueKind.Null => [],
            JsonValueKind.String => string.IsNullOrWhiteSpace(el.GetString()) ? [] : [el.GetString()!.Trim()],
            JsonValueKind.Array => [.. StringArray(el, file, member).Select(s => s.Trim())],
            _ => throw Fail(file, member, $"{member} is a string or an array of strings"),
        };
    }

    private static List<string> StringArray(JsonElement el, string file, string member)
    {
        if (el.ValueKind != JsonValueKind.Array) throw Fail(file, member, $"{member} is an array of strings");
        var list = new List<string>();
        foreach (var item in el.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw Fail(file, member, $"{member} holds strings only");
            list.Add(item.GetString()!);
        }
        return list;
    }

    /// <summary>An array of strings or numbers (enums and true/false values are written either way).</summary>
    private static List<string> Scalars(JsonElement el, string file, string field, string member)
    {
        if (el.ValueKind != JsonValueKind.Array) throw Fail(file, field, $"{member} is an array");
        var list = new List<string>();
        foreach (var item in el.EnumerateArray())
            list.Add(item.ValueKind switch
            {
                JsonValueKind.String => item.GetString()!,
                JsonValueKind.Number => item.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => throw Fail(file, field, $"{member} holds strings or numbers"),
            });
        return list;
    }

    private static string? OptionalString(JsonElement obj, string member, string file, string? field)
    {
        if (!obj.TryGetProperty(member, out var el) || el.ValueKind == JsonValueKind.Null) return null;
        if (el.ValueKind != JsonValueKind.String) throw Fail(file, field ?? member, $"{member} is a string");
        return el.GetString();
    }

    private static int? OptionalInt(JsonElement obj, string member, string file, string field)
    {
        if (!obj.TryGetProperty(member, out var el) || el.ValueKind == JsonValueKind.Null) return null;
        if (el.ValueKind == JsonValueKind.Number && el.TryGetInt32(out var n) && n >= 0) return n;
        if (el.ValueKind == JsonValueKind.String && int.TryParse(el.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out n)) return n;
        throw Fail(file, field, $"constraints.{member} is a whole number");
    }

    private static double? OptionalNumber(JsonElement obj, string member, string file, string field)
    {
        if (!obj.TryGetProperty(member, out var el) || el.ValueKind == JsonValueKind.Null) return null;
        if (el.ValueKind == JsonValueKind.Number) return el.GetDouble();
        if (el.ValueKind == JsonValueKind.String && double.TryParse(el.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        throw Fail(file, field, $"constraints.{member} is a number");
    }

    private static ValidationFailedException Fail(string file, string? field, string message)
    {
        var e = new ValidationFailedException(field is null ? $"schema {file}: {message}" : $"schema {file}, field {field}: {message}", field, "schema");
        e.Extensions["file"] = file;
        if (field is not null) e.Extensions["field"] = field;
        return e;
    }
}
