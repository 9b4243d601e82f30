using System.Text;
using System.Text.RegularExpressions;

namespace Hygie.Ingest.Schemas;

/// <summary>
/// A table's columns and keys. <see cref="Name"/> may hold SNDS placeholders: lowercase <c>aa</c> for a two-digit year
/// (<c>T_MCOaaB</c> is <c>T_MCO19B</c>…), <c>AAAA</c> for a four-digit one (<c>CT_DEP_AAAA_GN</c>), lowercase
/// <c>xx</c> for a two-character version (<c>T_MCOaaGVxx</c>); <see cref="Matches"/> resolves them.
/// </summary>
public sealed class TableSchema
{
    private readonly Dictionary<string, int> _index;
    private readonly Regex _namePattern;

    public TableSchema(string name, IReadOnlyList<FieldSchema> fields, IReadOnlyList<string>? primaryKey = null,
        IReadOnlyList<string>? missingValues = null, IReadOnlyList<ForeignKey>? foreignKeys = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (fields.Count == 0) throw new ArgumentException("a table has at least one field", nameof(fields));
        Name = name;
        Fields = fields;
        PrimaryKey = primaryKey ?? [];
        MissingValues = missingValues ?? [""];
        ForeignKeys = foreignKeys ?? [];
        _index = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < fields.Count; i++)
            if (!_index.TryAdd(fields[i].Name, i)) throw new ArgumentException($"field {fields[i].Name} appears twice", nameof(fields));
        _namePattern = NamePattern(name);
    }

    public string Name { get; }
    public string Title { get; init; } = "";
    /// <summary>The SNDS product (DCIR, PMSI MCO, BENEFICIAIRE…).</summary>
    public string Product { get; init; } = "";
    /// <summary>Where the schema was read from (a file path), or <c>built-in</c>.</summary>
    public string Source { get; init; } = "";
    public IReadOnlyList<FieldSchema> Fields { get; }
    public IReadOnlyList<string> PrimaryKey { get; }
    /// <summary>Values read as null (Frictionless <c>missingValues</c>; default <c>[""]</c>).</summary>
    public IReadOnlyList<string> MissingValues { get; }
    public IReadOnlyList<ForeignKey> ForeignKeys { get; }

    /// <summary>The field's position (names compare case-insensitively), or −1.</summary>
    public int IndexOf(string fieldName) => _index.TryGetValue(fieldName, out var i) ? i : -1;

    public FieldSchema? Field(string fieldName) => _index.TryGetValue(fieldName, out var i) ? Fields[i] : null;

    /// <summary>True when <paramref name="tableName"/> is this table, placeholders resolved (<c>T_MCO19B</c> for
    /// <c>T_MCOaaB</c>); case-insensitive.</summary>
    public bool Matches(string tableName) => _namePattern.IsMatch(tableName.Trim());

    public override string ToString() => $"{Name} ({Fields.Count} fields)";

    private static Regex NamePattern(string name)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < name.Length;)
        {
            if (string.CompareOrdinal(name, i, "AAAA", 0, 4) == 0) { sb.Append(@"(?:AAAA|[0-9]{4})"); i += 4; }
            else if (string.CompareOrdinal(name, i, "aa", 0, 2) == 0) { sb.Append(@"(?:aa|[0-9]{2})"); i += 2; }
            else if (string.CompareOrdinal(name, i, "xx", 0, 2) == 0) { sb.Append(@"(?:xx|[0-9A-Za-z]{2})"); i += 2; }
            else { sb.Append(Regex.Escape(name[i].ToString())); i++; }
        }
        sb.Append('$');
        return new Regex(sb.ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }
}
