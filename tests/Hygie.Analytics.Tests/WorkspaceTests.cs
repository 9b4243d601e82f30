using DuckDB.NET.Data;
using Hygie.Testing;

namespace Hygie.Analytics.Tests;

public sealed class WorkspaceTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private MemoryStaging _staging = null!;
    private Workspace _workspace = null!;

    /// <summary>Claims of 30 persons (p00…p29), 10 per person over 2019–2021, written as two Parquet parts.</summary>
    public async Task InitializeAsync()
    {
        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"""
                CREATE TABLE claims AS SELECT
                  printf('p%02d', i % 30) AS person_id,
                  DATE '2019-01-01' + CAST(i * 3 AS INTEGER) AS EXE_SOI_DTD,
                  (i % 5) + 1 AS PRS_NAT_REF,
                  round(10 + (i % 7) * 2.5, 2) AS PRS_PAI_MNT,
                  'secret-' || i AS FORBIDDEN_COL
                FROM range(300) t(i);
                COPY (SELECT * FROM claims WHERE EXE_SOI_DTD < DATE '2020-06-01') TO '{_dir.Combine("part-0.parquet")}' (FORMAT parquet);
                COPY (SELECT * FROM claims WHERE EXE_SOI_DTD >= DATE '2020-06-01') TO '{_dir.Combine("part-1.parquet")}' (FORMAT parquet);
                """;
            cmd.ExecuteNonQuery();
        }
        _staging = MemoryStaging.Create();
        var spec = new WorkspaceTableSpec("ER_PRS_F", ["EXE_SOI_DTD", "PRS_NAT_REF", "PRS_PAI_MNT"], "NUM_ENQ", "EXE_SOI_DTD",
            new DateOnly(2019, 1, 1), new DateOnly(2020, 12, 31),
            [Open("part-0.parquet"), Open("part-1.parquet")]);
        _workspace = await Workspace.BuildAsync([spec], p => "proj-" + p, new HashSet<string> { "p07" },
            new WorkspaceLimits { QueryTimeout = TimeSpan.FromSeconds(2), MaxPageSize = 50 }, _staging);
    }

    private WorkspacePart Open(string name) => new(_ => Task.FromResult<Stream>(File.OpenRead(_dir.Combine(name))));

    public Task DisposeAsync()
    {
        _workspace.Dispose();
        _staging.Dispose();
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Only_granted_columns_rows_of_the_period_and_project_pseudonyms_are_there()
    {
        var table = Assert.Single(_workspace.Tables);
        Assert.Equal(["NUM_ENQ", "EXE_SOI_DTD", "PRS_NAT_REF", "PRS_PAI_MNT"], table.Columns.Select(c => c.Name));
        var page = await _workspace.QueryAsync("SELECT min(EXE_SOI_DTD), max(EXE_SOI_DTD), count(DISTINCT NUM_ENQ), min(NUM_ENQ) FROM ER_PRS_F");
        var row = page.Rows.Single();
        Assert.Equal("2019-01-01", row[0]);
        Assert.True(string.CompareOrdinal((string)row[1]!, "2020-12-31") <= 0);
        Assert.Equal(29L, Convert.ToInt64(row[2])); // p07 objected
        Assert.StartsWith("proj-p", (string)row[3]!);
        var refused = await Assert.ThrowsAsync<QueryRefusedException>(() => _workspace.QueryAsync("SELECT FORBIDDEN_COL FROM ER_PRS_F"));
        Assert.Contains("FORBIDDEN_COL", refused.Message);
        Assert.Empty((await _workspace.QueryAsync("SELECT * FROM ER_PRS_F WHERE NUM_ENQ = 'proj-p07' OR NUM_ENQ LIKE 'p__'")).Rows);
    }

    [Theory]
    [InlineData("SELECT * FROM read_csv('/etc/passwd')")]
    [InlineData("SELECT * FROM read_parquet('/tmp/x.parquet')")]
    [InlineData("SELECT * FROM glob('/*')")]
    [InlineData("COPY ER_PRS_F TO '/tmp/out.csv'")]
    [InlineData("ATTACH '/tmp/other.db' AS other")]
    [InlineData("INSTALL httpfs")]
    [InlineData("LOAD httpfs")]
    [InlineData("SET enable_external_access = true")]
    [InlineData("PRAGMA enable_profiling")]
    [InlineData("EXPORT DATABASE '/tmp/dump'")]
    [InlineData("DROP TABLE ER_PRS_F")]
    [InlineData("CREATE TABLE x AS SELECT 1")]
    [InlineData("SELECT 1; DROP TABLE ER_PRS_F")]
    [InlineData("SELECT 1; SELECT 2")]
    [InlineData("SELECT * FROM hygie._persons")]
    [InlineData("SELECT * FROM memory.hygie.\"ER_PRS_F\"")]
    [InlineData("SELECT * FROM HYGIE._persons p JOIN ER_PRS_F USING (NUM_ENQ)")]
    [InlineData("SELECT * FROM query('SELECT * FROM hygie._persons')")]
    [InlineData("SELECT * FROM query_table('hygie._persons')")]
    [InlineData("WITH x AS (SELECT * FROM hygie._persons) SELECT count(*) FROM x")]
    public async Task Escapes_are_refused_and_the_workspace_keeps_serving(string sql)
    {
        await Assert.ThrowsAsync<QueryRefusedException>(() => _workspace.QueryAsync(sql));
        var page = await _workspace.QueryAsync("SELECT count(*) FROM ER_PRS_F");
        Assert.True(Convert.ToInt64(page.Rows[0][0]) > 0);
    }

    [Fact]
    public async Task Sql_that_does_not_parse_says_so()
    {
        var e = await Assert.ThrowsAsync<QueryRefusedException>(() => _workspace.QueryAsync("SELEC * FORM ER_PRS_F"));
        Assert.Equal("query-syntax", e.Code);
    }

    [Fact]
    public async Task A_runaway_query_is_cancelled_and_the_next_one_runs()
    {
        var e = await Assert.ThrowsAsync<QueryRefusedException>(() =>
            _workspace.QueryAsync("SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range + b.range = -1"));
        Assert.Equal("query-timeout", e.Code);
        Assert.Single((await _workspace.QueryAsync("SELECT 42")).Rows);
    }

    [Fact]
    public async Task Results_come_in_pages()
    {
        var first = await _workspace.QueryAsync("SELECT NUM_ENQ, EXE_SOI_DTD FROM ER_PRS_F ORDER BY EXE_SOI_DTD", page: 0, pageSize: 10);
        var second = await _workspace.QueryAsync("SELECT NUM_ENQ, EXE_SOI_DTD FROM ER_PRS_F ORDER BY EXE_SOI_DTD", page: 1, pageSize: 10);
        Assert.Equal(10, first.Rows.Count);
        Assert.True(first.HasMore);
        Assert.True(string.CompareOrdinal((string)first.Rows[^1][1]!, (string)second.Rows[0][1]!) <= 0);
        var capped = await _workspace.QueryAsync("SELECT * FROM ER_PRS_F", pageSize: 10_000);
        Assert.Equal(50, capped.PageSize);
    }

    [Fact]
    public async Task Comments_cannot_smuggle_a_second_statement()
    {
        await Assert.ThrowsAsync<QueryRefusedException>(() => _workspace.QueryAsync("SELECT 1 -- ; DROP TABLE ER_PRS_F\n; DROP TABLE ER_PRS_F"));
        var canonical = _workspace.Validate("SELECT /* hidden */ count(*) FROM ER_PRS_F -- trailing");
        Assert.DoesNotContain("hidden", canonical);
    }

    /// <param name="indexed">which parts carry a person index and a persons object, as deposits write them (the others
    /// are as deposits wrote them before: matched on the pseudonym).</param>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Persons_first_seen_in_a_later_part_are_re_keyed_and_opted_out_ones_dropped_in_every_part(bool indexed0, bool indexed1)
    {
        // part 0: p00…p09; part 1: p05…p14 (p10…p14 new) and rows without a person; p03 and p12 objected
        using var dir = new TempDirectory();
        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"""
                CREATE TABLE part0 AS SELECT i AS rn, printf('p%02d', (i * 7) % 10) AS person_id, DATE '2020-01-01' + CAST(i AS INTEGER) AS EXE_SOI_DTD, i AS PRS_PAI_MNT FROM range(100) t(i);
                CREATE TABLE part1 AS SELECT i AS rn, CASE WHEN i % 11 = 0 THEN NULL ELSE printf('p%02d', 5 + i % 10) END AS person_id, DATE '2020-06-01' + CAST(i AS INTEGER) AS EXE_SOI_DTD, 1000 + i AS PRS_PAI_MNT FROM range(100) t(i);
                {Part("part0", indexed0)}
                {Part("part1", indexed1)}
                """;
            cmd.ExecuteNonQuery();
        }
        var spec = new WorkspaceTableSpec("ER_PRS_F", ["EXE_SOI_DTD", "PRS_PAI_MNT"], "NUM_ENQ", "EXE_SOI_DTD", null, null,
            [PartOf("part0", indexed0), PartOf("part1", indexed1)]);
        using var workspace = await Workspace.BuildAsync([spec], p => "proj-" + p, new HashSet<string> { "p03", "p12" }, new WorkspaceLimits(), _staging);

        var table = Assert.Single(workspace.Tables);
        Assert.Equal(["NUM_ENQ", "EXE_SOI_DTD", "PRS_PAI_MNT"], table.Columns.Select(c => c.Name));
        Assert.Equal(["VARCHAR", "DATE", "BIGINT"], table.Columns.Select(c => c.Type));
        var rows = (await workspace.QueryAsync("SELECT NUM_ENQ, count(*) FROM ER_PRS_F GROUP BY ALL ORDER BY ALL", pageSize: 100)).Rows;
        var expected = new Dictionary<string, long>();
        for (var i = 0; i < 100; i++) Add($"p{i * 7 % 10:00}");
        for (var i = 0; i < 100; i++) if (i % 11 != 0) Add($"p{5 + i % 10:00}");
        Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => ("proj-" + e.Key, e.Value)),
            rows.Select(r => ((string)r[0]!, Convert.ToInt64(r[1]))));
        Assert.Equal(expected.Values.Sum(), table.Rows);
        Assert.Empty((await workspace.QueryAsync("SELECT * FROM ER_PRS_F WHERE NUM_ENQ IS NULL OR NUM_ENQ NOT LIKE 'proj-%'")).Rows);

        // behind the view: person numbers, and one project pseudonym per person; no hub pseudonym, no opted-out row
        var stored = (await workspace.RunUncheckedAsync("SELECT count(*), count(DISTINCT person) FROM hygie.ER_PRS_F")).Rows.Single();
        Assert.Equal(expected.Values.Sum(), Convert.ToInt64(stored[0]));
        Assert.Equal(expected.Count, Convert.ToInt64(stored[1]));
        Assert.Equal(expected.Keys.Select(k => "proj-" + k).Order(StringComparer.Ordinal),
            (await workspace.RunUncheckedAsync("SELECT pseudonym FROM hygie._persons ORDER BY 1")).Rows.Select(r => (string)r[0]!));
        // and a researcher's query cannot look there
        await Assert.ThrowsAsync<QueryRefusedException>(() => workspace.QueryAsync("SELECT pseudonym FROM hygie._persons"));
        Assert.Equal(["ER_PRS_F", "_persons"], (await workspace.QueryAsync("SELECT table_name FROM duckdb_tables() ORDER BY 1")).Rows.Select(r => (string)r[0]!));
        await Assert.ThrowsAsync<QueryRefusedException>(() => workspace.QueryAsync("CREATE VIEW v AS SELECT * FROM hygie._persons"));

        void Add(string person)
        {
            if (person is "p03" or "p12") return;
            expected[person] = expected.GetValueOrDefault(person) + 1;
        }

        // a permit's period: persons whose rows are all outside it are not persons of the workspace
        using var period = await Workspace.BuildAsync([spec with { To = new DateOnly(2020, 2, 15) }], p => "proj-" + p, new HashSet<string> { "p03", "p12" },
            new WorkspaceLimits(), _staging);
        Assert.Equal(Enumerable.Range(0, 10).Where(i => i != 3).Select(i => $"proj-p{i:00}"),
            (await period.RunUncheckedAsync("SELECT pseudonym FROM hygie._persons ORDER BY 1")).Rows.Select(r => (string)r[0]!));

        // a part as deposits write it: the person's rank among the part's persons (first seen first), and those persons
        string Part(string table, bool indexed) => indexed
            ? $"""
              CREATE TABLE {table}_persons AS SELECT person_id, (row_number() OVER (ORDER BY min(rn)) - 1)::INTEGER AS person_index
                FROM {table} WHERE person_id IS NOT NULL GROUP BY person_id;
              COPY (SELECT t.person_id, t.EXE_SOI_DTD, t.PRS_PAI_MNT, p.person_index FROM {table} t LEFT JOIN {table}_persons p USING (person_id) ORDER BY rn)
                TO '{dir.Combine(table + ".parquet")}' (FORMAT parquet);
              COPY (SELECT person_id FROM {table}_persons ORDER BY person_index) TO '{dir.Combine(table + ".persons.parquet")}' (FORMAT parquet);
              """
            : $"COPY (SELECT person_id, EXE_SOI_DTD, PRS_PAI_MNT FROM {table} ORDER BY rn) TO '{dir.Combine(table + ".parquet")}' (FORMAT parquet);";

        WorkspacePart PartOf(string table, bool indexed) => new(_ => Task.FromResult<Stream>(File.OpenRead(dir.Combine(table + ".parquet"))),
            indexed ? _ => Task.FromResult<Stream>(File.OpenRead(dir.Combine(table + ".persons.parquet"))) : null);
    }
}
