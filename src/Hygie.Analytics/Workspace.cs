using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;

namespace Hygie.Analytics;

/// <summary>
/// A project's analysis space: an in-memory DuckDB holding only the tables, columns and rows a permit grants, with
/// person ids re-keyed to the project's pseudonyms and opted-out persons removed. Once loaded it is locked: no file,
/// network or extension access, no configuration change, one read-only SELECT at a time, bounded in time and memory.
/// </summary>
public sealed class Workspace : IDisposable
{
    private readonly DuckDBConnection _db;
    private readonly WorkspaceLimits _limits;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private Workspace(DuckDBConnection db, WorkspaceLimits limits, IReadOnlyList<WorkspaceTableInfo> tables)
    {
        _db = db;
        _limits = limits;
        Tables = tables;
        LastUsed = DateTimeOffset.UtcNow;
    }

    public IReadOnlyList<WorkspaceTableInfo> Tables { get; }
    public DateTimeOffset LastUsed { get; private set; }

    /// <summary>Loads the tables (decrypted Parquet staged in memory only), re-keys persons, then locks the database.</summary>
    /// <param name="projectPseudonym">hub pseudonym → the project's own pseudonym.</param>
    /// <param name="optedOut">hub pseudonyms of persons whose objection applies to this project.</param>
    public static async Task<Workspace> BuildAsync(IReadOnlyList<WorkspaceTableSpec> tables, Func<string, string> projectPseudonym,
        IReadOnlySet<string> optedOut, WorkspaceLimits limits, MemoryStaging staging, CancellationToken ct = default)
    {
        var db = new DuckDBConnection("Data Source=:memory:");
        try
        {
            db.Open();
            Execute(db, $"SET memory_limit = '{limits.MemoryLimit}'; SET threads = {limits.Threads}; SET temp_directory = ''; SET preserve_insertion_order = true");
            foreach (var table in tables) await LoadRawAsync(db, table, staging, ct);
            MapPersons(db, tables, projectPseudonym, optedOut);
            foreach (var table in tables) Finalize(db, table);
            Execute(db, "DROP TABLE IF EXISTS _person_map");
            Lock(db);
            return new Workspace(db, limits, Describe(db, tables));
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    private static async Task LoadRawAsync(DuckDBConnection db, WorkspaceTableSpec table, MemoryStaging staging, CancellationToken ct)
    {
        var raw = Raw(table.Name);
        var columns = table.Columns.Select(Quote).ToList();
        if (table.PersonColumn is not null) columns.Insert(0, Quote(StoredColumns.Person));
        var select = string.Join(", ", columns);
        var filter = DateFilter(table);
        var created = false;
        foreach (var open in table.Parts)
        {
            await using var part = await open(ct);
            await staging.WithFileAsync(part, file =>
            {
                var source = $"read_parquet('{file.Replace("'", "''")}')";
                Execute(db, created
                    ? $"INSERT INTO {raw} SELECT {select} FROM {source}{filter}"
                    : $"CREATE TABLE {raw} AS SELECT {select} FROM {source}{filter}");
                created = true;
                return Task.FromResult(0);
            }, ct);
        }
        if (!created) throw new InvalidOperationException($"table {table.Name} has no data files");
    }

    private static string DateFilter(WorkspaceTableSpec t)
    {
        if (t.DateColumn is null || (t.From is null && t.To is null)) return "";
        var conditions = new List<string>();
        if (t.From is { } from) conditions.Add($"{Quote(t.DateColumn)} >= DATE '{from:yyyy-MM-dd}'");
        if (t.To is { } to) conditions.Add($"{Quote(t.DateColumn)} <= DATE '{to:yyyy-MM-dd}'");
        return " WHERE " + string.Join(" AND ", conditions);
    }

    /// <summary>Each distinct hub pseudonym gets the project's; opted-out persons get no row, so joins drop them.</summary>
    private static void MapPersons(DuckDBConnection db, IReadOnlyList<WorkspaceTableSpec> tables, Func<string, string> projectPseudonym, IReadOnlySet<string> optedOut)
    {
        var withPersons = tables.Where(t => t.PersonColumn is not null).ToList();
        Execute(db, "CREATE TABLE _person_map (person_id VARCHAR PRIMARY KEY, pseudonym VARCHAR NOT NULL)");
        if (withPersons.Count == 0) return;
        var distinct = string.Join(" UNION ", withPersons.Select(t => $"SELECT person_id FROM {Raw(t.Name)}"));
        var persons = new List<string>();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"SELECT DISTINCT person_id FROM ({distinct}) WHERE person_id IS NOT NULL";
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) persons.Add(reader.GetString(0));
        }
        using var appender = db.CreateAppender("_person_map");
        foreach (var person in persons)
        {
            if (optedOut.Contains(person)) continue;
            appender.CreateRow().AppendValue(person).AppendValue(projectPseudonym(person)).EndRow();
        }
    }

    private static void Finalize(DuckDBConnection db, WorkspaceTableSpec table)
    {
        var columns = string.Join(", ", table.Columns.Select(c => "r." + Quote(c)));
        var sql = table.PersonColumn is null
            ? $"CREATE TABLE {Quote(table.Name)} AS SELECT {columns} FROM {Raw(table.Name)} r"
            : $"CREATE TABLE {Quote(table.Name)} AS SELECT m.pseudonym AS {Quote(table.PersonColumn)}{(columns.Length > 0 ? ", " + columns : "")} " +
              $"FROM {Raw(table.Name)} r JOIN _person_map m ON r.person_id = m.person_id";
        Execute(db, sql);
        Execute(db, $"DROP TABLE {Raw(table.Name)}");
    }

    /// <summary>After loading: nothing outside memory, no extension, no further configuration (DuckDB enforces these itself).</summary>
    private static void Lock(DuckDBConnection db) => Execute(db,
        "SET enable_external_access = false; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; SET lock_configuration = true");

    private static IReadOnlyList<WorkspaceTableInfo> Describe(DuckDBConnection db, IReadOnlyList<WorkspaceTableSpec> tables)
    {
        var list = new List<WorkspaceTableInfo>();
        foreach (var t in tables)
        {
            var columns = new List<WorkspaceColumn>();
            using (var cmd = db.CreateCommand())
            {
                cmd.CommandText = $"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{t.Name.Replace("'", "''")}' ORDER BY ordinal_position";
                using var reader = cmd.ExecuteReader();
                while (reader.Read()) columns.Add(new WorkspaceColumn(reader.GetString(0), reader.GetString(1)));
            }
            using var count = db.CreateCommand();
            count.CommandText = $"SELECT count(*) FROM {Quote(t.Name)}";
            list.Add(new WorkspaceTableInfo(t.Name, Convert.ToInt64(count.ExecuteScalar(), CultureInfo.InvariantCulture), columns));
        }
        return list;
    }

    /// <summary>
    /// Checks that <paramref name="sql"/> is exactly one SELECT (DuckDB's own parser decides: its JSON serializer only
    /// accepts SELECT statements) and returns it re-rendered from its syntax tree, comments and tricks gone.
    /// </summary>
    public string Validate(string sql)
    {
        if (string.IsNullOrWhiteSpace(sql)) throw new QueryRefusedException("the query is empty", "query-invalid");
        string json;
        lock (_db)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT json_serialize_sql(CAST($1 AS VARCHAR))";
            cmd.Parameters.Add(new DuckDBParameter(sql));
            json = (string)cmd.ExecuteScalar()!;
        }
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.GetProperty("error").GetBoolean())
        {
            var type = root.TryGetProperty("error_type", out var t) ? t.GetString() : "";
            var message = root.TryGetProperty("error_message", out var m) ? m.GetString() : "";
            throw type == "parser"
                ? new QueryRefusedException($"the query does not parse: {message}", "query-syntax")
                : new QueryRefusedException("only read-only SELECT queries may run in a workspace", "query-forbidden");
        }
        var statements = root.GetProperty("statements").GetArrayLength();
        if (statements != 1)
            throw new QueryRefusedException($"one statement at a time: the query holds {statements}", "query-forbidden");
        lock (_db)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = "SELECT json_deserialize_sql(CAST($1 AS JSON))";
            cmd.Parameters.Add(new DuckDBParameter(json));
            return (string)cmd.ExecuteScalar()!;
        }
    }

    /// <summary>Runs a SELECT and returns one page of its result, within the workspace's time and memory limits.</summary>
    public async Task<QueryPage> QueryAsync(string sql, int page = 0, int pageSize = 100, CancellationToken ct = default)
    {
        pageSize = Math.Clamp(pageSize, 1, _limits.MaxPageSize);
        page = Math.Max(0, page);
        var canonical = Validate(sql);
        var paged = $"SELECT * FROM ({canonical}) AS q LIMIT {pageSize + 1} OFFSET {(long)page * pageSize}";
        var sw = Stopwatch.StartNew();
        var (columns, rows) = await RunAsync(paged, ct);
        var hasMore = rows.Count > pageSize;
        if (hasMore) rows.RemoveAt(rows.Count - 1);
        return new QueryPage(columns, rows, page, pageSize, hasMore, sw.Elapsed);
    }

    /// <summary>Runs a validated SELECT in full (for release checks, bounded by the caller).</summary>
    public Task<(List<WorkspaceColumn> Columns, List<object?[]> Rows)> QueryAllAsync(string sql, long maxRows, CancellationToken ct = default) =>
        RunAsync($"SELECT * FROM ({Validate(sql)}) AS q LIMIT {maxRows + 1}", ct);

    public async Task<string> ExplainAsync(string sql, CancellationToken ct = default)
    {
        var (_, rows) = await RunAsync("EXPLAIN " + Validate(sql), ct);
        var text = new StringBuilder();
        foreach (var row in rows) text.AppendLine(row.Length > 1 ? row[1]?.ToString() : row[0]?.ToString());
        return text.ToString();
    }

    private async Task<(List<WorkspaceColumn>, List<object?[]>)> RunAsync(string sql, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            LastUsed = DateTimeOffset.UtcNow;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_limits.QueryTimeout);
            using var cmd = _db.CreateCommand();
            cmd.CommandText = sql;
            await using var cancel = timeout.Token.Register(() => cmd.Cancel());
            return await Task.Run(() =>
            {
                try
                {
                    using var reader = cmd.ExecuteReader();
                    var columns = Enumerable.Range(0, reader.FieldCount).Select(i => new WorkspaceColumn(reader.GetName(i), reader.GetDataTypeName(i))).ToList();
                    var rows = new List<object?[]>();
                    while (reader.Read())
                    {
                        var row = new object?[reader.FieldCount];
                        for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : Normalize(reader.GetValue(i));
                        rows.Add(row);
                        if (timeout.IsCancellationRequested) break;
                    }
                    if (timeout.IsCancellationRequested) throw new OperationCanceledException();
                    return (columns, rows);
                }
                catch (Exception e) when (e is OperationCanceledException || (e is DbException && timeout.IsCancellationRequested))
                {
                    if (ct.IsCancellationRequested) throw new OperationCanceledException(ct);
                    throw new QueryRefusedException($"the query ran longer than {_limits.QueryTimeout.TotalSeconds:0} s and was cancelled", "query-timeout");
                }
                catch (DbException e)
                {
                    throw Translate(e);
                }
            }, CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>DuckDB's message names tables, columns and rules of the query, not data: safe to return.</summary>
    private QueryRefusedException Translate(DbException e)
    {
        var message = e.Message.Split('\n')[0];
        if (message.Contains("Out of Memory", StringComparison.OrdinalIgnoreCase))
            return new QueryRefusedException($"the query needs more memory than the workspace allows ({_limits.MemoryLimit})", "query-memory");
        if (message.Contains("Permission Error", StringComparison.OrdinalIgnoreCase) || message.Contains("configuration has been locked", StringComparison.OrdinalIgnoreCase))
            return new QueryRefusedException($"refused by the workspace lock-down: {message}", "query-forbidden");
        return new QueryRefusedException($"the query failed: {message}", "query-error");
    }

    private static object? Normalize(object value) => value switch
    {
        DateTime d => d.TimeOfDay == TimeSpan.Zero ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : d.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        System.Numerics.BigInteger b => b.ToString(CultureInfo.InvariantCulture),
        decimal m => (double)m,
        _ => value,
    };

    private static void Execute(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static string Raw(string table) => Quote("_raw_" + table);

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    public void Dispose()
    {
        _gate.Dispose();
        _db.Dispose();
    }
}
