using Hygie.Core.Errors;
using Hygie.Ingest.Schemas;

namespace Hygie.Ingest.BuiltIn;

/// <summary>
/// The hub's own compact definitions of the core SNDS tables (IR_BEN_R, ER_PRS_F, ER_PHA_F, T_MCOaaB, T_MCOaaC,
/// T_MCOaaD, KI_CCI_R), from <c>snds-core-tables.txt</c> (embedded), so a deposit needs no schema file.
/// </summary>
public static class BuiltInTables
{
    private const string ResourceName = "Hygie.Ingest.BuiltIn.snds-core-tables.txt";
    private static readonly Lazy<SchemaCatalog> Lazy = new(Load);

    public static SchemaCatalog Catalog => Lazy.Value;

    public static IReadOnlyList<string> Names => [.. Catalog.Tables.Select(t => t.Name)];

    /// <summary>The definition of a table (placeholders resolved: T_MCO19B → T_MCOaaB), or null.</summary>
    public static TableSchema? Find(string tableName) => Catalog.Find(tableName);

    /// <summary>Parses definitions in the format of <c>snds-core-tables.txt</c>.</summary>
    public static SchemaCatalog Parse(string text, string source)
    {
        var catalog = new SchemaCatalog();
        string? table = null;
        string[] key = [];
        var fields = new List<FieldSchema>();
        var lineNumber = 0;

        void Flush()
        {
            if (table is null) return;
            if (fields.Count == 0) throw Fail(source, lineNumber, $"table {table} has no columns");
            foreach (var k in key)
                if (!fields.Any(f => string.Equals(f.Name, k, StringComparison.OrdinalIgnoreCase))) throw Fail(source, lineNumber, $"table {table}: key column {k} is not defined");
            catalog.Add(new TableSchema(table, [.. fields], key) { Source = "built-in", Product = "SNDS" });
            fields.Clear();
        }

        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var hash = raw.IndexOf('#');
            var line = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0) continue;
            var words = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words[0] == "table")
            {
                Flush();
                if (words.Length < 2) throw Fail(source, lineNumber, "a table line names the table");
                table = words[1];
                key = words.Length > 2 && words[2] == "key" ? words[3..] : words.Length > 2 ? throw Fail(source, lineNumber, $"unexpected '{words[2]}' after the table name") : [];
                continue;
            }
            if (table is null) throw Fail(source, lineNumber, "a column line before any table line");
            if (words.Length < 2 || !FieldTypes.TryParse(words[1], out var type)) throw Fail(source, lineNumber, $"column {words[0]}: a type (string, integer, number, boolean, date, datetime, year, yearmonth, month)");
            int? length = null;
            bool id = false, required = false;
            foreach (var w in words[2..])
            {
                if (w == "id") id = true;
                else if (w == "required") required = true;
                else if (int.TryParse(w, out var n) && n > 0) length = n;
                else throw Fail(source, lineNumber, $"column {words[0]}: unknown '{w}'");
            }
            fields.Add(new FieldSchema(words[0], type)
            {
                Length = length,
                Required = required,
                IsIdentifier = id || IdentifierColumns.IsIdentifier(words[0]),
                Format = type == FieldType.Month ? "%m" : "default",
            });
        }
        Flush();
        return catalog;
    }

    private static SchemaCatalog Load()
    {
        using var stream = typeof(BuiltInTables).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new HubStateException($"the built-in table definitions ({ResourceName}) are missing from the assembly");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "snds-core-tables.txt");
    }

    private static ValidationFailedException Fail(string source, int line, string message) =>
        new($"table definitions {source}, line {line}: {message}", null, "schema");
}
