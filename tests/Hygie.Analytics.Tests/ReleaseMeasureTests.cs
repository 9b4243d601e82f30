using DuckDB.NET.Data;
using Hygie.Core.Disclosure;
using Hygie.Testing;

namespace Hygie.Analytics.Tests;

public sealed class ReleaseMeasureTests
{
    /// <summary>
    /// 30 persons with nature 1 (two rows each, 10 €), 3 persons with nature 2, one of whom paid 1000 € (dominance);
    /// sexes split so that a two-dimension table has small cells too.
    /// </summary>
    private static async Task<(Workspace, MemoryStaging, TempDirectory)> BuildAsync()
    {
        var dir = new TempDirectory();
        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"""
                COPY (
                  SELECT 'p' || (i % 30) AS person_id, 1 AS PRS_NAT_REF, CAST(10 AS DOUBLE) AS PRS_PAI_MNT, (i % 2) + 1 AS SEX FROM range(60) t(i)
                  UNION ALL SELECT 'q' || i, 2, CASE WHEN i = 0 THEN 1000 ELSE 5 END, 1 FROM range(3) t(i)
                ) TO '{dir.Combine("p.parquet")}' (FORMAT parquet)
                """;
            cmd.ExecuteNonQuery();
        }
        var staging = MemoryStaging.Create();
        var spec = new WorkspaceTableSpec("T", ["PRS_NAT_REF", "PRS_PAI_MNT", "SEX"], "NUM_ENQ", null, null, null,
            [new WorkspacePart(_ => Task.FromResult<Stream>(File.OpenRead(dir.Combine("p.parquet"))))]);
        var ws = await Workspace.BuildAsync([spec], p => "x" + p, new HashSet<string>(), new WorkspaceLimits(), staging);
        return (ws, staging, dir);
    }

    [Fact]
    public async Task Persons_per_cell_are_measured_and_small_cells_suppressed_with_their_complement()
    {
        var (ws, staging, dir) = await BuildAsync();
        using var _ = ws; using var __ = staging; using var ___ = dir;
        var m = await ReleaseMeasure.MeasureAsync(ws, new ReleaseSpec("SELECT NUM_ENQ, PRS_NAT_REF FROM T", ["PRS_NAT_REF"], null, "NUM_ENQ"), DisclosureSettings.Default);
        var cells = m.Report.Cells.ToDictionary(c => c.Cell.Key[0] ?? "Total");
        Assert.Equal(30, cells["1"].Cell.Persons); // 60 rows, 30 persons
        Assert.Equal(3, cells["2"].Cell.Persons);
        Assert.Equal(33, cells["Total"].Cell.Persons);
        Assert.Equal(CellStatus.PrimarySuppressed, cells["2"].Status);
        Assert.Equal(CellStatus.SecondarySuppressed, cells["1"].Status);
        Assert.Equal(DisclosureVerdict.Review, m.Report.Verdict);
        Assert.Equal(["PRS_NAT_REF", "persons"], m.Header);
        Assert.Contains(m.Published, r => r[0] == "2" && r[1] is null);
        Assert.Contains(m.Published, r => r[0] == "Total" && r[1] == "33");
    }

    [Fact]
    public async Task Sums_carry_per_person_contributions_for_dominance()
    {
        var (ws, staging, dir) = await BuildAsync();
        using var _ = ws; using var __ = staging; using var ___ = dir;
        var m = await ReleaseMeasure.MeasureAsync(ws,
            new ReleaseSpec("SELECT NUM_ENQ, PRS_NAT_REF, SEX, PRS_PAI_MNT FROM T", ["PRS_NAT_REF", "SEX"], "PRS_PAI_MNT", "NUM_ENQ"), DisclosureSettings.Default);
        var nature1 = m.Report.Cells.Single(c => c.Cell.IsMagnitude && c.Cell.Key[0] == "1" && c.Cell.Key[1] is null);
        Assert.Equal(600, nature1.Cell.Total);
        Assert.Equal(30, nature1.Cell.Persons);
        Assert.Equal([20, 20, 20], nature1.Cell.Contributions!); // each person's own sum, not rows
        var nature2 = m.Report.Cells.Single(c => c.Cell.IsMagnitude && c.Cell.Key[0] == "2" && c.Cell.Key[1] is null);
        Assert.Equal(1000, nature2.Cell.Contributions![0]);
        Assert.NotEqual(CellStatus.Released, nature2.Status);
        Assert.Equal(33, m.Report.Cells.Single(c => !c.Cell.IsMagnitude && c.Cell.Key.All(k => k is null)).Cell.Persons);
    }

    [Fact]
    public async Task The_person_column_cannot_be_a_dimension_nor_a_name_an_expression()
    {
        var (ws, staging, dir) = await BuildAsync();
        using var _ = ws; using var __ = staging; using var ___ = dir;
        await Assert.ThrowsAsync<QueryRefusedException>(() =>
            ReleaseMeasure.MeasureAsync(ws, new ReleaseSpec("SELECT * FROM T", ["NUM_ENQ"], null, "NUM_ENQ"), DisclosureSettings.Default));
        await Assert.ThrowsAsync<QueryRefusedException>(() =>
            ReleaseMeasure.MeasureAsync(ws, new ReleaseSpec("SELECT * FROM T", ["SEX) FROM T; --"], null, "NUM_ENQ"), DisclosureSettings.Default));
    }
}
