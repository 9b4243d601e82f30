using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using Hygie.Core.Catalog;

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
    private readonly IReadOnlyList<WorkspaceTableSpec> _granted;
    private readonly IReadOnlyDictionary<string, HashSet<string>> _loaded;
    private bool _disposed;

    private Workspace(DuckDBConnection db, WorkspaceLimits limits, IReadOnlyList<WorkspaceTableInfo> tables,
        IReadOnlyList<WorkspaceTableSpec> granted, IReadOnlyDictionary<string, HashSet<string>> loaded)
    {
        _db = db;
        _limits = limits;
        _granted = granted;
        _loaded = loaded;
        Tables = tables;
        LastUsed = DateTimeOffset.UtcNow;
    }

    /// <summary>The tables as granted: every granted column, whichever are loaded.</summary>
    public IReadOnlyList<WorkspaceTableInfo> Tables { get; }

    /// <summary>Whether every granted column of every table is loaded.</summary>
    public bool Complete => _granted.All(t => t.Columns.All(_loaded[t.Name].Contains));

    /// <summary>
    /// Whether a failed query may have failed for want of a granted column left unloaded (one the syntax check did not
    /// see): the error names one. A typo or an ungranted column does not qualify.
    /// </summary>
    public bool MayLackColumnsFor(QueryRefusedException failure) => failure.Code == "query-error"
        && _granted.Any(t => t.Columns.Any(c => !_loaded[t.Name].Contains(c) && failure.Message.Contains(c, StringComparison.OrdinalIgnoreCase)));

    /// <summary>Whether the loaded columns are all a query reading <paramref name="reads"/> needs.</summary>
    public bool Holds(QueryReads reads) => _granted.All(t => reads.ColumnsOf(t.Name, t.Columns).All(_loaded[t.Name].Contains));
    public DateTimeOffset LastUsed { get; private set; }

    /// <summary>Where the rows of tables with persons and the workspace's persons are kept, behind the views named after the tables.</summary>
    private const string Hidden = "hygie";

    /// <summary>The column of a stored table holding the person's number in the workspace (a row of <c>hygie._persons</c>).</summary>
    private const string PersonNumber = "person";

    /// <summary>The hub pseudonym of rows whose person had no number yet when their part was loaded; dropped once the table is loaded.</summary>
    private const string Pending = "pending_person";

    /// <summary>
    /// Loads the tables (decrypted Parquet staged in memory only), re-keys persons, then locks the database. A table
    /// with persons is stored as <c>hygie."TABLE"</c> with a person number (an INTEGER) in place of the hub pseudonym,
    /// and shown as the view <c>TABLE</c> joining the number to its project pseudonym in <c>hygie._persons</c> (one row
    /// per person): same columns, types and values as a table holding the pseudonym on every row, without
    /// materializing a 64-character string per row. Nothing behind the views holds a hub pseudonym or a row of an
    /// opted-out person.
    /// </summary>
    /// <param name="projectPseudonym">hub pseudonym → the project's own pseudonym; called from several threads at once.</param>
    /// <param name="optedOut">hub pseudonyms of persons whose objection applies to this project.</param>
    /// <param name="reads">what the first query reads: only the granted columns it names are loaded (every table is,
    /// with its persons and rows, whatever the query); null loads every granted column.</param>
    public static async Task<Workspace> BuildAsync(IReadOnlyList<WorkspaceTableSpec> granted, Func<string, string> projectPseudonym,
        IReadOnlySet<string> optedOut, WorkspaceLimits limits, MemoryStaging staging, QueryReads? reads = null, CancellationToken ct = default)
    {
        var tables = granted.Select(t => Loaded(t, reads)).ToList();
        var db = new DuckDBConnection("Data Source=:memory:");
        try
        {
            db.Open();
            Execute(db, $"SET memory_limit = '{limits.MemoryLimit}'; SET threads = {limits.Threads}; SET temp_directory = ''; SET preserve_insertion_order = true");
            // Each distinct hub pseudonym of the data gets a number; opted-out persons get none, so the joins drop
            // their rows. Uniqueness comes from the way rows are added (only persons not numbered yet): no index.
            Execute(db, $"CREATE SCHEMA {Hidden}; CREATE TABLE _person_map (person_id VARCHAR NOT NULL, {PersonNumber} INTEGER NOT NULL); " +
                        "CREATE TABLE _opted_out (person_id VARCHAR NOT NULL); CREATE SEQUENCE _person_numbers");
            using (var appender = db.CreateAppender("_opted_out"))
                foreach (var id in optedOut) appender.CreateRow().AppendValue(id).EndRow();
            var schemas = new List<IReadOnlyList<WorkspaceColumn>>();
            var unusedPersons = false;
            for (var i = 0; i < tables.Count; i++)
            {
                var (schema, unused) = await LoadAsync(db, tables[i], granted[i].Columns, staging, ct);
                schemas.Add(schema);
                unusedPersons |= unused;
            }
            if (unusedPersons)
                Execute(db, $"DELETE FROM _person_map WHERE {PersonNumber} NOT IN ({string.Join(" UNION ALL ",
                    tables.Where(t => t.PersonColumn is not null).Select(t => $"SELECT {PersonNumber} FROM {Stored(t)}"))})");
            RekeyResources(db, tables, projectPseudonym, limits.Threads);
            Execute(db, $"CREATE TABLE {Hidden}._persons ({PersonNumber} INTEGER NOT NULL, pseudonym VARCHAR NOT NULL)");
            Pseudonymize(db, projectPseudonym, limits.Threads);
            Execute(db, "DROP TABLE _person_map; DROP TABLE _opted_out; DROP SEQUENCE _person_numbers");
            foreach (var table in tables.Where(t => t.PersonColumn is not null))
            {
                var columns = string.Concat(table.Columns.Select(c => ", t." + Quote(c)));
                Execute(db, $"CREATE VIEW {Quote(table.Name)} AS SELECT p.pseudonym AS {Quote(table.PersonColumn!)}{columns} " +
                            $"FROM {Stored(table)} t JOIN {Hidden}._persons p ON t.{PersonNumber} = p.{PersonNumber}");
            }
            Lock(db);
            return new Workspace(db, limits, Describe(db, tables, schemas), granted,
                tables.ToDictionary(t => t.Name, t => t.Columns.ToHashSet(StringComparer.OrdinalIgnoreCase)));
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The part of a granted table to load for <paramref name="reads"/>. A table without persons keeps one column when
    /// the query names none of them, so that its rows are still there to count.
    /// </summary>
    private static WorkspaceTableSpec Loaded(WorkspaceTableSpec table, QueryReads? reads)
    {
        if (reads is null) return table;
        var columns = reads.ColumnsOf(table.Name, table.Columns).ToList();
        if (columns.Count == 0 && table.PersonColumn is null && table.Columns.Count > 0) columns.Add(table.Columns[0]);
        return table with { Columns = columns, ResourceKeyColumns = (table.ResourceKeyColumns ?? []).Where(columns.Contains).ToList() };
    }

    /// <summary>Where a table's rows are stored: itself, or behind its view when it has persons.</summary>
    private static string Stored(WorkspaceTableSpec table) => table.PersonColumn is null ? Quote(table.Name) : $"{Hidden}.{Quote(table.Name)}";

    /// <summary>
    /// One pass per part, each staged once, into the stored table with the hub pseudonym replaced by the person's
    /// number, without a raw copy of the table in between. A part with a persons object numbers the persons it lists,
    /// then its rows join their number on their 4-byte person index. A part without one (deposited before parts had an
    /// index) joins on the pseudonym: when the map is still empty its persons are numbered first (a second read);
    /// otherwise its rows whose person has no number yet keep the hub pseudonym in a pending column, and those few
    /// persons are then numbered and their rows updated (or deleted, for opted-out persons).
    /// </summary>
    /// <returns>the names and types of the <paramref name="granted"/> columns, as the parts hold them; and whether
    /// persons may have been numbered without a row loaded (a persons object lists all of its part's persons, also those
    /// whose rows are all outside the permit's period).</returns>
    private static async Task<(IReadOnlyList<WorkspaceColumn> Schema, bool UnusedPersons)> LoadAsync(DuckDBConnection db, WorkspaceTableSpec table, IReadOnlyList<string> granted,
        MemoryStaging staging, CancellationToken ct)
    {
        var schema = new List<WorkspaceColumn>();
        var target = Stored(table);
        var columns = string.Join(", ", table.Columns.Select(c => "r." + Quote(c)));
        var rest = columns.Length > 0 ? ", " + columns : "";
        var person = "r." + Quote(StoredColumns.Person);
        var period = Period(table);
        var filter = period is null ? "" : " WHERE " + period;
        var created = false;
        var unused = false;
        // The next part is unsealed and staged while this one loads (DuckDB leaves part of a core idle); the first two
        // are staged side by side, as nothing else runs yet. At most two parts are staged at any time.
        var stagings = new Task<StagedPart>?[table.Parts.Count];
        for (var k = 0; k < Math.Min(2, stagings.Length); k++) stagings[k] = Stage(table.Parts[k]);
        try
        {
            for (var i = 0; i < table.Parts.Count; i++)
            {
                var current = stagings[i]!;
                stagings[i] = null;
                using var staged = await current;
                if (i + 1 < stagings.Length) stagings[i + 1] ??= Stage(table.Parts[i + 1]);
                var source = $"read_parquet({Literal(staged.Part.Path)}) r";
                if (i == 0 && granted.Count > 0) schema.AddRange(Schema(db, $"SELECT {string.Join(", ", granted.Select(c => "r." + Quote(c)))} FROM {source}"));
                string select;
                var pending = false;
                if (table.PersonColumn is null) select = $"SELECT {columns} FROM {source}{filter}";
                else if (staged.Persons is { } persons)
                {
                    var listed = $"read_parquet({Literal(persons.Path)}, file_row_number = true)";
                    NumberPersons(db, $"SELECT {Quote(StoredColumns.Person)} FROM {listed}");
                    Execute(db, $"CREATE OR REPLACE TABLE _part_persons AS SELECT s.file_row_number::INTEGER AS local, m.{PersonNumber} " +
                                $"FROM {listed} s JOIN _person_map m ON s.{Quote(StoredColumns.Person)} = m.person_id");
                    select = $"SELECT p.{PersonNumber}{rest}, NULL::VARCHAR AS {Pending} FROM {source} " +
                             $"JOIN _part_persons p ON r.{Quote(StoredColumns.PersonIndex)} = p.local{filter}";
                    unused = unused || (period is not null &&
                        Count(db, $"SELECT count(*) FROM {source} WHERE r.{Quote(StoredColumns.PersonIndex)} IS NOT NULL AND ({period}) IS NOT TRUE") > 0);
                }
                else
                {
                    var where = $"{(filter.Length > 0 ? filter + " AND " : " WHERE ")}{person} IS NOT NULL";
                    if (Count(db, "SELECT count(*) FROM _person_map") == 0)
                    {
                        NumberPersons(db, $"SELECT DISTINCT {person} FROM {source}{where}");
                        select = $"SELECT m.{PersonNumber}{rest}, NULL::VARCHAR AS {Pending} FROM {source} JOIN _person_map m ON {person} = m.person_id{where}";
                    }
                    else
                    {
                        select = $"SELECT m.{PersonNumber}{rest}, CASE WHEN m.person_id IS NULL THEN {person} END AS {Pending} " +
                                 $"FROM {source} LEFT JOIN _person_map m ON {person} = m.person_id{where}";
                        pending = true;
                    }
                }
                Execute(db, created ? $"INSERT INTO {target} {select}" : $"CREATE TABLE {target} AS {select}");
                created = true;
                if (pending && Count(db, $"SELECT count(*) FROM {target} WHERE {Pending} IS NOT NULL") > 0)
                {
                    NumberPersons(db, $"SELECT DISTINCT {Pending} FROM {target} WHERE {Pending} IS NOT NULL");
                    Execute(db, $"UPDATE {target} SET {PersonNumber} = m.{PersonNumber}, {Pending} = NULL FROM _person_map m " +
                                $"WHERE {target}.{Pending} = m.person_id");
                    Execute(db, $"DELETE FROM {target} WHERE {Pending} IS NOT NULL"); // opted out
                }
            }
        }
        finally
        {
            foreach (var left in stagings)
                if (left is not null)
                    try { (await left).Dispose(); } catch { /* the load's own error matters */ }
        }
        if (!created) throw new InvalidOperationException($"table {table.Name} has no data files");
        if (table.PersonColumn is not null) Execute(db, $"ALTER TABLE {target} DROP COLUMN {Pending}; DROP TABLE IF EXISTS _part_persons");
        return (schema, unused);

        Task<StagedPart> Stage(WorkspacePart part) => Task.Run(async () =>
        {
            var indexed = table.PersonColumn is not null && part.OpenPersons is not null;
            var persons = indexed ? await StageOne(part.OpenPersons!, null) : null;
            try
            {
                // the columns the load reads: those loaded, the period's and the person's (its index, or its pseudonym)
                var read = table.Columns.Append(table.DateColumn)
                    .Append(table.PersonColumn is null ? null : indexed ? StoredColumns.PersonIndex : StoredColumns.Person).OfType<string>().ToList();
                return new StagedPart(await StageOne(part.Open, read), persons);
            }
            catch
            {
                persons?.Dispose();
                throw;
            }
        }, ct);

        // a seekable part gives up those columns alone; otherwise it is copied whole
        async Task<MemoryStaging.StagedFile> StageOne(Func<CancellationToken, Task<Stream>> open, IReadOnlyCollection<string>? columns)
        {
            await using var content = await open(ct);
            return columns is not null && content.CanSeek ? await staging.StageColumnsAsync(content, columns, ct) : await staging.StageAsync(content, ct);
        }
    }

    /// <summary>A part staged for loading, with its persons object when it has one.</summary>
    private sealed record StagedPart(MemoryStaging.StagedFile Part, MemoryStaging.StagedFile? Persons) : IDisposable
    {
        public void Dispose()
        {
            Part.Dispose();
            Persons?.Dispose();
        }
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''") + "'";

    /// <summary>The condition a row of <c>r</c> meets inside the permit's period; null when the table is not limited in time.</summary>
    private static string? Period(WorkspaceTableSpec t)
    {
        if (t.DateColumn is null || (t.From is null && t.To is null)) return null;
        var conditions = new List<string>();
        if (t.From is { } from) conditions.Add($"r.{Quote(t.DateColumn)} >= DATE '{from:yyyy-MM-dd}'");
        if (t.To is { } to) conditions.Add($"r.{Quote(t.DateColumn)} <= DATE '{to:yyyy-MM-dd}'");
        return string.Join(" AND ", conditions);
    }

    /// <summary>Numbers the persons <paramref name="distinctPersons"/> yields that have no number yet, opted-out ones excepted.</summary>
    private static void NumberPersons(DuckDBConnection db, string distinctPersons) => Execute(db,
        $"INSERT INTO _person_map SELECT person_id, nextval('_person_numbers') FROM ({distinctPersons}) n(person_id) " +
        "WHERE person_id NOT IN (SELECT person_id FROM _person_map) AND person_id NOT IN (SELECT person_id FROM _opted_out)");

    /// <summary>
    /// Replaces the hub pseudonyms of resources (FHIR ids and references) by the project's own: without it, two
    /// projects could link their rows through an encounter's id although their persons differ. One map for every key
    /// column of the workspace, so that a reference (<c>observation.encounter_id</c>) still meets its resource
    /// (<c>encounter.id</c>); the inputs are kept apart from persons' (<c>resource/</c>).
    /// </summary>
    private static void RekeyResources(DuckDBConnection db, IReadOnlyList<WorkspaceTableSpec> tables, Func<string, string> projectPseudonym, int threads)
    {
        var keyed = tables.SelectMany(t => (t.ResourceKeyColumns ?? []).Select(c => (Table: Stored(t), Column: Quote(c)))).ToList();
        if (keyed.Count == 0) return;
        var keys = new List<string>();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = string.Join(" UNION ", keyed.Select(k => $"SELECT {k.Column} AS k FROM {k.Table} WHERE {k.Column} IS NOT NULL"));
            using var reader = cmd.ExecuteReader();
            while (reader.Read()) keys.Add(reader.GetString(0));
        }
        var rekeyed = new string[keys.Count];
        Parallel.For(0, keys.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, i => rekeyed[i] = projectPseudonym("resource/" + keys[i]));
        Execute(db, "CREATE TABLE _resource_keys (hub VARCHAR NOT NULL, project VARCHAR NOT NULL)");
        using (var appender = db.CreateAppender("_resource_keys"))
            for (var i = 0; i < keys.Count; i++) appender.CreateRow().AppendValue(keys[i]).AppendValue(rekeyed[i]).EndRow();
        foreach (var (table, column) in keyed)
            Execute(db, $"UPDATE {table} SET {column} = m.project FROM _resource_keys m WHERE {table}.{column} = m.hub");
        Execute(db, "DROP TABLE _resource_keys");
    }

    /// <summary>The project pseudonym of every numbered person: an HMAC per person, on every core.</summary>
    private static void Pseudonymize(DuckDBConnection db, Func<string, string> projectPseudonym, int threads)
    {
        var numbers = new List<int>();
        var persons = new List<string>();
        using (var cmd = db.CreateCommand())
        {
            cmd.CommandText = $"SELECT {PersonNumber}, person_id FROM _person_map";
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                numbers.Add(reader.GetInt32(0));
                persons.Add(reader.GetString(1));
            }
        }
        var pseudonyms = new string[persons.Count];
        Parallel.For(0, persons.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, i => pseudonyms[i] = projectPseudonym(persons[i]));
        using var appender = db.CreateAppender(Hidden, "_persons");
        for (var i = 0; i < persons.Count; i++) appender.CreateRow().AppendValue(numbers[i]).AppendValue(pseudonyms[i]).EndRow();
    }

    private static long Count(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>After loading: nothing outside memory, no extension, no further configuration (DuckDB enforces these itself).</summary>
    private static void Lock(DuckDBConnection db) => Execute(db,
        "SET enable_external_access = false; SET autoinstall_known_extensions = false; SET autoload_known_extensions = false; SET lock_configuration = true");

    /// <summary>Each table as granted: the person column (a project pseudonym) first, then every granted column, with its row count.</summary>
    private static IReadOnlyList<WorkspaceTableInfo> Describe(DuckDBConnection db, IReadOnlyList<WorkspaceTableSpec> tables,
        IReadOnlyList<IReadOnlyList<WorkspaceColumn>> schemas) =>
        tables.Select((t, i) => new WorkspaceTableInfo(t.Name,
            Count(db, $"SELECT count(*) FROM {Stored(t)}"), // every stored row has its person in hygie._persons
            (t.PersonColumn is null ? schemas[i] : schemas[i].Prepend(new WorkspaceColumn(t.PersonColumn, "VARCHAR"))).ToList())).ToList();

    /// <summary>The result columns of a query, as DuckDB types them, without running it.</summary>
    private static List<WorkspaceColumn> Schema(DuckDBConnection db, string select)
    {
        var columns = new List<WorkspaceColumn>();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"SELECT column_name, column_type FROM (DESCRIBE {select})";
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) columns.Add(new WorkspaceColumn(reader.GetString(0), reader.GetString(1)));
        return columns;
    }

    /// <summary>Checks that <paramref name="sql"/> is one read-only SELECT and returns it re-rendered from its syntax tree (see <see cref="WorkspaceSql.Parse"/>).</summary>
    public string Validate(string sql) => WorkspaceSql.Parse(sql).Canonical;

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

    /// <summary>Runs SQL without the statement check: for the tests that look behind the views, never for a user.</summary>
    internal Task<(List<WorkspaceColumn> Columns, List<object?[]> Rows)> RunUncheckedAsync(string sql) => RunAsync(sql, default);

    private async Task<(List<WorkspaceColumn>, List<object?[]>)> RunAsync(string sql, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_disposed) throw new QueryRefusedException("the workspace was closed (permit changed, idle or rebuilt): run the query again", "workspace-closed");
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

    internal static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    /// <summary>Closes the database once the query running on it, if any, has ended; later queries are refused.</summary>
    public void Dispose()
    {
        _gate.Wait();
        try
        {
            if (_disposed) return;
            _disposed = true;
            _db.Dispose();
        }
        finally
        {
            _gate.Release();
        }
    }
}
