using System.Text.Json;
using DuckDB.NET.Data;

namespace Hygie.Analytics;

/// <summary>What a workspace query reads, as its syntax tree tells: the tables it names and every name it gives a column.</summary>
/// <param name="Tables">the tables of its FROM clauses (and CTE names, which are harmless extras).</param>
/// <param name="Names">every part of every column reference and every USING column.</param>
/// <param name="WholeRows">the query depends on all the columns of the tables it reads, or on their order (<c>*</c>,
/// <c>COLUMNS(...)</c>, NATURAL or POSITIONAL joins, UNPIVOT, positional references, renamed table columns, a table
/// taken as a row): only a table with every granted column gives its true result.</param>
public sealed record QueryReads(IReadOnlySet<string> Tables, IReadOnlySet<string> Names, bool WholeRows)
{
    /// <summary>Nothing: what the list of a workspace's tables needs.</summary>
    public static QueryReads None { get; } = new(new HashSet<string>(), new HashSet<string>(), false);

    /// <summary>
    /// The granted columns of a table this query needs loaded. Loading every column the query names, in every table it
    /// reads, keeps name resolution exactly as over the full tables: a name binds to the same column or fails alike.
    /// </summary>
    public IEnumerable<string> ColumnsOf(string table, IEnumerable<string> granted) =>
        !Tables.Contains(table) ? [] : WholeRows ? granted : granted.Where(Names.Contains);
}

/// <summary>A query checked to be one read-only SELECT: its canonical text (re-rendered from its syntax tree) and what it reads.</summary>
public sealed record ParsedQuery(string Canonical, QueryReads Reads);

/// <summary>
/// Reads workspace SQL with DuckDB's own parser, on a connection that holds no data and is locked like a workspace:
/// a query is checked and its columns known before any workspace is built or queried.
/// </summary>
public static class WorkspaceSql
{
    private static readonly Lazy<DuckDBConnection> Parser = new(() =>
    {
        var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SET enable_external_access = false; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; SET lock_configuration = true";
        cmd.ExecuteNonQuery();
        return db;
    });

    /// <summary>
    /// Checks that <paramref name="sql"/> is exactly one SELECT (DuckDB's JSON serializer only accepts SELECT
    /// statements) that names no hidden table nor runs SQL the check never saw, and returns it re-rendered from its
    /// syntax tree (comments and tricks gone) with what it reads.
    /// </summary>
    public static ParsedQuery Parse(string sql)
    {
        if (string.IsNullOrWhiteSpace(sql)) throw new QueryRefusedException("the query is empty", "query-invalid");
        using var doc = JsonDocument.Parse(Call("SELECT json_serialize_sql(CAST($1 AS VARCHAR))", sql));
        var root = doc.RootElement;
        if (root.GetProperty("error").GetBoolean())
        {
            var type = root.TryGetProperty("error_type", out var t) ? t.GetString() : "";
            var message = root.TryGetProperty("error_message", out var m) ? m.GetString() : "";
            throw type == "parser"
                ? new QueryRefusedException($"the query does not parse: {message}", "query-syntax")
                : new QueryRefusedException("only read-only SELECT queries may run in a workspace", "query-forbidden");
        }
        var statements = root.GetProperty("statements");
        if (statements.GetArrayLength() != 1)
            throw new QueryRefusedException($"one statement at a time: the query holds {statements.GetArrayLength()}", "query-forbidden");
        if (Escape(statements) is { } escape) throw new QueryRefusedException(escape, "query-forbidden");
        var reads = new Collector();
        reads.Walk(statements, inOrderBy: false);
        return new ParsedQuery(Call("SELECT json_deserialize_sql(CAST($1 AS JSON))", root.GetRawText()), reads.Result());
    }

    private static string Call(string function, string argument)
    {
        var db = Parser.Value;
        lock (db)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = function;
            cmd.Parameters.Add(new DuckDBParameter(argument));
            return (string)cmd.ExecuteScalar()!;
        }
    }

    /// <summary>
    /// What in a parsed query reaches past the granted tables, or null: a table outside the main schema (the stored
    /// tables behind the views, <c>hygie._persons</c>), or a table function that runs SQL the check never saw
    /// (<c>query</c>, <c>query_table</c>).
    /// </summary>
    private static string? Escape(JsonElement node)
    {
        switch (node.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in node.EnumerateArray())
                    if (Escape(item) is { } found) return found;
                return null;
            case JsonValueKind.Object:
                if (Text(node, "type") == "BASE_TABLE" && Text(node, "schema_name") is { Length: > 0 } schema
                    && !string.Equals(schema, "main", StringComparison.OrdinalIgnoreCase))
                    return "a workspace query reads the granted tables only (no other schema)";
                if (Text(node, "function_name") is { } f
                    && (string.Equals(f, "query", StringComparison.OrdinalIgnoreCase) || string.Equals(f, "query_table", StringComparison.OrdinalIgnoreCase)))
                    return $"the table function {f.ToLowerInvariant()} is not allowed in a workspace";
                foreach (var property in node.EnumerateObject())
                    if (Escape(property.Value) is { } found) return found;
                return null;
            default:
                return null;
        }
    }

    private static string? Text(JsonElement node, string property) =>
        node.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Gathers tables and column names over the whole tree; anything that depends on a table's full set or order of columns marks whole rows.</summary>
    private sealed class Collector
    {
        private readonly HashSet<string> _tables = new(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _aliases = new(StringComparer.OrdinalIgnoreCase);
        private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<string> _singleNames = [];
        private bool _wholeRows;

        public QueryReads Result()
        {
            // a column reference that names a table or its alias is the whole row, as a struct
            if (_singleNames.Any(n => _tables.Contains(n) || _aliases.Contains(n))) _wholeRows = true;
            return new QueryReads(_tables, _names, _wholeRows);
        }

        public void Walk(JsonElement node, bool inOrderBy)
        {
            if (node.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in node.EnumerateArray()) Walk(item, inOrderBy);
                return;
            }
            if (node.ValueKind != JsonValueKind.Object) return;
            switch (Text(node, "type"))
            {
                case "BASE_TABLE":
                    if (Text(node, "table_name") is { Length: > 0 } table) _tables.Add(table);
                    if (Text(node, "alias") is { Length: > 0 } alias) _aliases.Add(alias);
                    // t AS q(a, b) renames the table's columns by position
                    if (node.TryGetProperty("column_name_alias", out var renamed) && renamed.GetArrayLength() > 0) _wholeRows = true;
                    break;
                case "SUBQUERY":
                    if (Text(node, "alias") is { Length: > 0 } subqueryAlias) _aliases.Add(subqueryAlias);
                    break;
                case "COLUMN_REF":
                    if (node.TryGetProperty("column_names", out var parts))
                    {
                        foreach (var part in parts.EnumerateArray()) _names.Add(part.GetString()!);
                        if (parts.GetArrayLength() == 1) _singleNames.Add(parts[0].GetString()!);
                    }
                    break;
                case "STAR":
                    // ORDER BY ALL sorts by the select list, whatever the tables hold
                    if (!inOrderBy) _wholeRows = true;
                    break;
                case "POSITIONAL_REFERENCE" or "PIVOT" or "SHOW_REF":
                    _wholeRows = true;
                    break;
                case "JOIN":
                    if (Text(node, "ref_type") is "NATURAL" or "POSITIONAL") _wholeRows = true;
                    if (node.TryGetProperty("using_columns", out var usingColumns))
                        foreach (var c in usingColumns.EnumerateArray()) _names.Add(c.GetString()!);
                    break;
            }
            foreach (var property in node.EnumerateObject())
            {
                if (property.NameEquals("orders") && Text(node, "type") == "ORDER_MODIFIER")
                {
                    foreach (var order in property.Value.EnumerateArray())
                        foreach (var field in order.EnumerateObject())
                            Walk(field.Value, inOrderBy: field.NameEquals("expression") && IsStar(field.Value));
                    continue;
                }
                Walk(property.Value, inOrderBy);
            }
        }

        /// <summary><c>ORDER BY ALL</c>: a bare star, not <c>COLUMNS(...)</c>.</summary>
        private static bool IsStar(JsonElement e) => e.ValueKind == JsonValueKind.Object && Text(e, "type") == "STAR"
            && Text(e, "relation_name") is null or "" && e.TryGetProperty("expr", out var expr) && expr.ValueKind == JsonValueKind.Null;
    }
}
