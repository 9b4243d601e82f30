using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Hygie.Core.Errors;
using Hygie.Storage.Metadata;
using Microsoft.Data.Sqlite;

namespace Hygie.Storage.Operations;

/// <summary>
/// Whole-store access to the metadata tables, in portable SQL plus the two catalog queries that differ between
/// SQLite and PostgreSQL: list the tables (parents before children), read them in one consistent snapshot, and
/// replace a table's rows in another store.
/// </summary>
public static partial class MetadataTables
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();

    public static string CheckIdentifier(string name, string what) =>
        Identifier().IsMatch(name) ? name : throw new IntegrityException($"'{name}' is not a valid {what} name", "bad-identifier");

    /// <summary>
    /// A read-only transaction that sees one snapshot of the whole store: a deferred transaction in SQLite (WAL keeps
    /// the snapshot while writers go on), REPEATABLE READ elsewhere (PostgreSQL's snapshot isolation).
    /// </summary>
    public static async Task<DbTransaction> BeginSnapshotAsync(DbConnection connection, CancellationToken ct)
    {
        var tx = connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(IsolationLevel.Serializable, deferred: true)
            : await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        // The snapshot starts with the first read.
        await using var cmd = connection.Command("SELECT COUNT(*) FROM schema_versions", tx);
        await cmd.ExecuteScalarAsync(ct);
        return tx;
    }

    /// <summary>
    /// A transaction that holds the store's write lock from its first statement: in SQLite the database write lock
    /// (BEGIN IMMEDIATE); elsewhere the audit head's row lock under REPEATABLE READ, which every audited change takes.
    /// What it reads is one consistent state that no audited write can change until it ends.
    /// </summary>
    public static async Task<DbTransaction> BeginExclusiveAsync(DbConnection connection, CancellationToken ct)
    {
        var tx = connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(IsolationLevel.Serializable, deferred: false)
            : await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using var cmd = connection.Command("UPDATE audit_head SET seq = seq WHERE id = 1", tx);
        await cmd.ExecuteNonQueryAsync(ct);
        return tx;
    }

    /// <summary>Every table of the store, each after the tables its foreign keys point to.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(DbConnection connection, DbTransaction? tx, SqlDialect dialect, CancellationToken ct)
    {
        var tables = new List<string>();
        var sql = dialect.Name == SqlDialect.Sqlite.Name
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name";
        await using (var cmd = connection.Command(sql, tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) tables.Add(reader.GetString(0));

        var parents = tables.ToDictionary(t => t, _ => new HashSet<string>(), StringComparer.Ordinal);
        if (dialect.Name == SqlDialect.Sqlite.Name)
        {
            foreach (var table in tables)
            {
                await using var cmd = connection.Command("SELECT \"table\" FROM pragma_foreign_key_list(@t)", tx);
                cmd.AddParameter("t", table);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) parents[table].Add(reader.GetString(0));
            }
        }
        else
        {
            await using var cmd = connection.Command(
                """
                SELECT tc.table_name, ccu.table_name FROM information_schema.table_constraints tc
                JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = ccu.constraint_name AND tc.table_schema = ccu.table_schema
                WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()
                """, tx);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                if (parents.TryGetValue(reader.GetString(0), out var set)) set.Add(reader.GetString(1));
        }

        var ordered = new List<string>();
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        void Visit(string t)
        {
            if (state.GetValueOrDefault(t) == 2) return;
            if (state.GetValueOrDefault(t) == 1) return; // a cycle: keep the order we have
            state[t] = 1;
            foreach (var p in parents.GetValueOrDefault(t, []).Order(StringComparer.Ordinal))
                if (p != t && parents.ContainsKey(p)) Visit(p);
            state[t] = 2;
            ordered.Add(t);
        }
        foreach (var t in tables) Visit(t);
        return ordered;
    }

    /// <summary>The column names of a table, in order.</summary>
    public static async Task<IReadOnlyList<string>> ColumnsAsync(DbConnection connection, DbTransaction? tx, string table, CancellationToken ct)
    {
        await using var cmd = connection.Command($"SELECT * FROM {CheckIdentifier(table, "table")} WHERE 1 = 0", tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
    }

    /// <summary>Every row of a table as values (null, long, double, decimal, bool, string, byte[], DateTime…).</summary>
    public static async IAsyncEnumerable<object?[]> ReadAsync(DbConnection connection, DbTransaction? tx, string table, IReadOnlyList<string> columns,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await using var cmd = connection.Command(
            $"SELECT {string.Join(", ", columns.Select(c => CheckIdentifier(c, "column")))} FROM {CheckIdentifier(table, "table")}", tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = new object?[columns.Count];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            yield return row;
        }
    }

    /// <summary>Replaces every row of <paramref name="table"/> with <paramref name="rows"/>; returns how many were written.</summary>
    public static async Task<long> ReplaceAsync(DbConnection connection, DbTransaction tx, string table, IReadOnlyList<string> columns,
        IAsyncEnumerable<object?[]> rows, CancellationToken ct)
    {
        CheckIdentifier(table, "table");
        await using (var delete = connection.Command($"DELETE FROM {table}", tx))
            await delete.ExecuteNonQueryAsync(ct);
        await using var insert = connection.Command(
            $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => CheckIdentifier(c, "column")))}) VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})", tx);
        var parameters = columns.Select((_, i) => { var p = insert.CreateParameter(); p.ParameterName = $"p{i}"; insert.Parameters.Add(p); return p; }).ToArray();
        long count = 0;
        await foreach (var row in rows.WithCancellation(ct))
        {
            for (var i = 0; i < parameters.Length; i++) parameters[i].Value = row[i] ?? DBNull.Value;
            await insert.ExecuteNonQueryAsync(ct);
            count++;
        }
        return count;
    }

    /// <summary>Empties a table (used to clear a half-written copy before writing it again).</summary>
    public static async Task ClearAsync(DbConnection connection, DbTransaction tx, string table, CancellationToken ct)
    {
        await using var delete = connection.Command($"DELETE FROM {CheckIdentifier(table, "table")}", tx);
        await delete.ExecuteNonQueryAsync(ct);
    }

    /// <summary>After rows were written with their ids, moves identity sequences past them (PostgreSQL; SQLite needs nothing).</summary>
    public static async Task FixIdentitiesAsync(DbConnection connection, DbTransaction tx, SqlDialect dialect, CancellationToken ct)
    {
        if (dialect.Name == SqlDialect.Sqlite.Name) return;
        var identities = new List<(string Table, string Column)>();
        await using (var cmd = connection.Command(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'", tx))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) identities.Add((reader.GetString(0), reader.GetString(1)));
        foreach (var (table, column) in identities)
        {
            await using var cmd = connection.Command(
                $"SELECT setval(pg_get_serial_sequence(@t, @c), COALESCE((SELECT MAX({CheckIdentifier(column, "column")}) FROM {CheckIdentifier(table, "table")}), 0) + 1, false)", tx);
            cmd.AddParameter("t", table).AddParameter("c", column);
            await cmd.ExecuteScalarAsync(ct);
        }
    }

    /// <summary>Drops every table (erasing a metadata store that a migration left behind).</summary>
    public static async Task DropAllAsync(IMetadataStore store, CancellationToken ct)
    {
        await using var connection = await store.OpenConnectionAsync(ct);
        var tables = await ListAsync(connection, null, store.Dialect, ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (store.Dialect.Name == SqlDialect.Sqlite.Name)
            await using (var off = connection.Command("PRAGMA defer_foreign_keys = ON", tx)) await off.ExecuteNonQueryAsync(ct);
        foreach (var table in tables.Reverse())
        {
            await using var drop = connection.Command($"DROP TABLE IF EXISTS {CheckIdentifier(table, "table")}", tx);
            await drop.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>Schema versions by module.</summary>
    public static async Task<Dictionary<string, int>> VersionsAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct)
    {
        var versions = new Dictionary<string, int>();
        await using var cmd = connection.Command("SELECT module, version FROM schema_versions", tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) versions[reader.GetString(0)] = Convert.ToInt32(reader.GetValue(1));
        return versions;
    }

    /// <summary>
    /// The migrations that rebuild exactly the schema described by <paramref name="versions"/>; refuses a module this
    /// hygie does not know or knows only in an older version.
    /// </summary>
    public static IReadOnlyList<Migration> MigrationsUpTo(IReadOnlyDictionary<string, int> versions, IEnumerable<Migration> known, string source)
    {
        var byModule = known.GroupBy(m => m.Module).ToDictionary(g => g.Key, g => g.ToList());
        var selected = new List<Migration>();
        foreach (var (module, version) in versions)
        {
            if (!byModule.TryGetValue(module, out var steps))
                throw new HubStateException($"{source} holds the schema of module '{module}', which this hygie does not know: use the hygie that wrote it", "schema-unknown");
            var max = steps.Max(s => s.Version);
            if (version > max)
                throw new HubStateException($"{source} holds module '{module}' at schema version {version}, newer than this hygie knows ({max}): upgrade hygie first", "schema-too-new");
            selected.AddRange(steps.Where(s => s.Version <= version));
        }
        return selected;
    }
}
