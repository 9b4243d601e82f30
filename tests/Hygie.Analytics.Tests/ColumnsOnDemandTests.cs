using DuckDB.NET.Data;
using Hygie.Testing;

namespace Hygie.Analytics.Tests;

/// <summary>A workspace loads the granted columns its first query names; what a query reads is known from its syntax tree.</summary>
public sealed class ColumnsOnDemandTests : IDisposable
{
    private static readonly string[] Granted = ["EXE_SOI_DTD", "PRS_NAT_REF", "PRS_PAI_MNT", "BEN_RES_DPT"];
    private readonly TempDirectory _dir = new();
    private readonly MemoryStaging _staging = MemoryStaging.Create();

    public ColumnsOnDemandTests()
    {
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"""
            COPY (SELECT printf('p%02d', i % 20) AS person_id, DATE '2020-01-01' + CAST(i AS INTEGER) AS EXE_SOI_DTD,
                    (i % 3) + 1 AS PRS_NAT_REF, round(i * 1.5, 2) AS PRS_PAI_MNT, printf('%02d', i % 4) AS BEN_RES_DPT
                  FROM range(200) t(i))
              TO '{_dir.Combine("part-0.parquet")}' (FORMAT parquet);
            COPY (SELECT i AS ETB_NUM, printf('etb-%d', i) AS ETB_NAME FROM range(5) t(i)) TO '{_dir.Combine("etb.parquet")}' (FORMAT parquet);
            """;
        cmd.ExecuteNonQuery();
    }

    private WorkspaceTableSpec[] Specs() =>
    [
        new("ER_PRS_F", Granted, "NUM_ENQ", "EXE_SOI_DTD", null, new DateOnly(2020, 6, 30), [Open("part-0.parquet")]),
        new("ETB", ["ETB_NUM", "ETB_NAME"], null, null, null, null, [Open("etb.parquet")]),
    ];

    private WorkspacePart Open(string name) => new(_ => Task.FromResult<Stream>(File.OpenRead(_dir.Combine(name))));

    private Task<Workspace> BuildAsync(QueryReads? reads) =>
        Workspace.BuildAsync(Specs(), p => "proj-" + p, new HashSet<string> { "p05" }, new WorkspaceLimits(), _staging, reads);

    public void Dispose()
    {
        _staging.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void The_columns_a_query_names_are_read_from_its_syntax_tree()
    {
        var reads = WorkspaceSql.Parse("""
            WITH c AS (SELECT NUM_ENQ, prs_nat_ref FROM ER_PRS_F WHERE EXE_SOI_DTD >= DATE '2020-02-01')
            SELECT e.ETB_NAME, count(*) FROM c JOIN ETB e ON c.PRS_NAT_REF = e.ETB_NUM GROUP BY ALL ORDER BY ALL
            """).Reads;
        Assert.False(reads.WholeRows);
        Assert.Equal(["EXE_SOI_DTD", "PRS_NAT_REF"], reads.ColumnsOf("ER_PRS_F", Granted));
        Assert.Equal(["ETB_NUM", "ETB_NAME"], reads.ColumnsOf("etb", ["ETB_NUM", "ETB_NAME"]));
        Assert.Empty(reads.ColumnsOf("OTHER", ["ETB_NUM"])); // a table the query does not read
        Assert.Equal(["PRS_PAI_MNT"], WorkspaceSql.Parse("SELECT 1 FROM ER_PRS_F JOIN ETB USING (PRS_PAI_MNT)").Reads.ColumnsOf("ER_PRS_F", Granted));
        Assert.Equal(["BEN_RES_DPT"], WorkspaceSql.Parse("SELECT list_transform([1], x -> x + 1) FROM ER_PRS_F t WHERE t.BEN_RES_DPT = '01'").Reads.ColumnsOf("ER_PRS_F", Granted));
    }

    [Theory]
    [InlineData("SELECT * FROM ER_PRS_F")]
    [InlineData("FROM ER_PRS_F")]
    [InlineData("SELECT t.* FROM ER_PRS_F t")]
    [InlineData("SELECT count(*) FROM (SELECT * EXCLUDE (NUM_ENQ) FROM ER_PRS_F)")]
    [InlineData("SELECT COLUMNS('PRS_.*') FROM ER_PRS_F")]
    [InlineData("SELECT max(COLUMNS(*)) FROM ER_PRS_F")]
    [InlineData("SELECT NUM_ENQ FROM ER_PRS_F NATURAL JOIN ETB")]
    [InlineData("SELECT NUM_ENQ FROM ER_PRS_F POSITIONAL JOIN ETB")]
    [InlineData("SELECT a FROM ER_PRS_F AS q(a, b)")]
    [InlineData("SELECT ER_PRS_F FROM ER_PRS_F")]
    [InlineData("SELECT t FROM ER_PRS_F t")]
    [InlineData("SELECT #2 FROM ER_PRS_F")]
    [InlineData("SELECT * FROM (UNPIVOT ER_PRS_F ON PRS_NAT_REF INTO NAME k VALUE v)")]
    [InlineData("SELECT * FROM (DESCRIBE ER_PRS_F)")]
    public void A_query_that_depends_on_every_column_or_their_order_reads_whole_rows(string sql)
    {
        var reads = WorkspaceSql.Parse(sql).Reads;
        Assert.True(reads.WholeRows);
        Assert.Equal(Granted, reads.ColumnsOf("ER_PRS_F", Granted));
    }

    [Fact]
    public async Task A_workspace_built_for_a_query_holds_its_columns_only_and_gives_the_same_results()
    {
        const string sql = "SELECT PRS_NAT_REF, count(DISTINCT NUM_ENQ), sum(PRS_PAI_MNT) FROM ER_PRS_F GROUP BY ALL ORDER BY ALL";
        var reads = WorkspaceSql.Parse(sql).Reads;
        using var partial = await BuildAsync(reads);
        using var complete = await BuildAsync(null);

        Assert.True(partial.Holds(reads));
        Assert.False(partial.Complete);
        Assert.True(complete.Complete);
        Assert.Equal(Rows(await complete.QueryAsync(sql)), Rows(await partial.QueryAsync(sql)));
        // behind the view: the person number and the two columns the query names, nothing else
        Assert.Equal(["person", "PRS_NAT_REF", "PRS_PAI_MNT"],
            (await partial.RunUncheckedAsync("SELECT column_name FROM information_schema.columns WHERE table_schema = 'hygie' AND table_name = 'ER_PRS_F' ORDER BY ordinal_position"))
            .Rows.Select(r => (string)r[0]!));

        // the list of tables shows the grant, whatever was loaded: the same names, types and row counts
        Assert.Equal(Describe(complete), Describe(partial));
        Assert.Equal(["NUM_ENQ", .. Granted], partial.Tables[0].Columns.Select(c => c.Name));
        Assert.Equal(182 - 9, partial.Tables[0].Rows); // the period ends on 2020-06-30; p05 objected

        // another granted column: not held, and a query that fails on it says it may be missing
        var other = WorkspaceSql.Parse("SELECT BEN_RES_DPT FROM ER_PRS_F").Reads;
        Assert.False(partial.Holds(other));
        Assert.True(complete.Holds(other));
        var failure = await Assert.ThrowsAsync<QueryRefusedException>(() => partial.QueryAsync("SELECT BEN_RES_DPT FROM ER_PRS_F"));
        Assert.True(partial.MayLackColumnsFor(failure));
        var typo = await Assert.ThrowsAsync<QueryRefusedException>(() => partial.QueryAsync("SELECT BEN_RES_DTP FROM ER_PRS_F"));
        Assert.False(partial.MayLackColumnsFor(typo));
        Assert.True(partial.Holds(WorkspaceSql.Parse("SELECT count(*) FROM ER_PRS_F, ETB").Reads));
    }

    [Fact]
    public async Task A_closed_workspace_refuses_the_next_query_and_says_why()
    {
        var workspace = await BuildAsync(QueryReads.None);
        Assert.Equal(2, workspace.Tables.Count);
        Assert.Equal(5, workspace.Tables[1].Rows); // a table without persons keeps its rows with one column
        workspace.Dispose();
        var e = await Assert.ThrowsAsync<QueryRefusedException>(() => workspace.QueryAsync("SELECT count(*) FROM ETB"));
        Assert.Equal("workspace-closed", e.Code);
    }

    private static List<string> Rows(QueryPage page) => page.Rows.Select(r => string.Join("|", r)).ToList();

    private static List<string> Describe(Workspace w) =>
        w.Tables.Select(t => $"{t.Name}:{t.Rows}:{string.Join(",", t.Columns.Select(c => c.Name + " " + c.Type))}").ToList();
}
