using Hygie.Core.Errors;

namespace Hygie.Ingest.Schemas;

/// <summary>Table schemas by name, placeholders resolved: <see cref="Find"/>("T_MCO19B") gives <c>T_MCOaaB</c>.</summary>
public sealed class SchemaCatalog
{
    private readonly List<TableSchema> _tables = [];
    private readonly Dictionary<string, TableSchema> _byName = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<TableSchema> Tables => _tables;

    /// <summary>Adds a schema; a later one of the same name replaces the earlier.</summary>
    public SchemaCatalog Add(TableSchema schema)
    {
        if (_byName.TryGetValue(schema.Name, out var old)) _tables.Remove(old);
        _byName[schema.Name] = schema;
        _tables.Add(schema);
        return this;
    }

    /// <summary>Loads every <c>*.json</c> under a folder (recursively). Any bad file refuses the whole load.</summary>
    public static SchemaCatalog LoadDirectory(string directory)
    {
        var catalog = new SchemaCatalog();
        foreach (var path in Directory.EnumerateFiles(directory, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            catalog.Add(TableSchemaReader.Load(path));
        return catalog;
    }

    /// <summary>The schema of a table name (exact name first, then placeholders), or null.</summary>
    public TableSchema? Find(string tableName)
    {
        if (_byName.TryGetValue(tableName.Trim(), out var exact)) return exact;
        return _tables.FirstOrDefault(t => t.Matches(tableName));
    }

    /// <summary>The schema of a table name, or a <see cref="NotFoundException"/> naming it.</summary>
    public TableSchema Get(string tableName) =>
        Find(tableName) ?? throw new NotFoundException($"unknown table {tableName}: no schema describes it", "unknown-table");
}
