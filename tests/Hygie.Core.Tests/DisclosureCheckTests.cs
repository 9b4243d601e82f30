using Hygie.Core.Disclosure;

namespace Hygie.Core.Tests;

public sealed class DisclosureCheckTests
{
    private static readonly OutputColumn[] Columns = [new("year", "INTEGER"), new("grant_type", "VARCHAR"), new("n", "BIGINT")];

    /// <summary>
    /// crosstab(year, grant_type) with margins, persons = counts:
    /// <code>
    ///          G    N    R  | Total
    ///   2010  50   30    8  |   88
    ///   2011  40   25   35  |  100
    ///   2012  60   45   20  |  125
    ///   Total 150 100   63  |  313
    /// </code>
    /// </summary>
    private static OutputTable Crosstab()
    {
        var data = new Dictionary<(string?, string?), long>
        {
            [("2010", "G")] = 50, [("2010", "N")] = 30, [("2010", "R")] = 8, [("2010", null)] = 88,
            [("2011", "G")] = 40, [("2011", "N")] = 25, [("2011", "R")] = 35, [("2011", null)] = 100,
            [("2012", "G")] = 60, [("2012", "N")] = 45, [("2012", "R")] = 20, [("2012", null)] = 125,
            [(null, "G")] = 150, [(null, "N")] = 100, [(null, "R")] = 63, [(null, null)] = 313,
        };
        var cells = data.Select(p => new OutputCell([p.Key.Item1, p.Key.Item2], "n", p.Value, p.Value)).ToList();
        return new OutputTable(["year", "grant_type"], cells, Columns, cells.Count, 1000);
    }

    private static HashSet<string> Keys(DisclosureReport report, CellStatus status) =>
        report.Cells.Where(c => c.Status == status).Select(c => $"{c.Cell.Key[0] ?? "Total"}/{c.Cell.Key[1] ?? "Total"}").ToHashSet();

    [Fact]
    public void A_small_cell_is_suppressed_with_exactly_the_cells_that_protect_it()
    {
        var report = DisclosureCheck.Evaluate(Crosstab(), DisclosureSettings.Default);
        Assert.Equal(["2010/R"], Keys(report, CellStatus.PrimarySuppressed));
        Assert.Equal(["2012/R", "2010/N", "2012/N"], Keys(report, CellStatus.SecondarySuppressed));
        Assert.Equal(DisclosureVerdict.Review, report.Verdict);
        Assert.All(report.Cells.Where(c => c.Status != CellStatus.Released), c => Assert.Null(c.Published));
        Assert.Contains("threshold", report.Cells.Single(c => c.Status == CellStatus.PrimarySuppressed).Rule);
    }

    [Fact]
    public void No_line_is_left_with_a_single_suppressed_cell()
    {
        var report = DisclosureCheck.Evaluate(Crosstab(), DisclosureSettings.Default);
        var suppressed = report.Cells.Where(c => c.Status != CellStatus.Released).Select(c => c.Cell.Key).ToList();
        foreach (var year in new[] { "2010", "2011", "2012", null })
            Assert.NotEqual(1, suppressed.Count(k => k[0] == year));
        foreach (var grant in new[] { "G", "N", "R", null })
            Assert.NotEqual(1, suppressed.Count(k => k[1] == grant));
    }

    [Fact]
    public void Without_secondary_suppression_only_the_small_cell_goes()
    {
        var report = DisclosureCheck.Evaluate(Crosstab(), DisclosureSettings.Default with { SecondarySuppression = false });
        Assert.Equal(["2010/R"], Keys(report, CellStatus.PrimarySuppressed));
        Assert.Empty(Keys(report, CellStatus.SecondarySuppressed));
    }

    [Fact]
    public void Rounding_applies_to_released_cells_after_suppression()
    {
        var report = DisclosureCheck.Evaluate(Crosstab(), DisclosureSettings.Default with { RoundingBase = 5 });
        Assert.Equal(315, report.Cells.Single(c => c.Cell.Key[0] is null && c.Cell.Key[1] is null).Published);
        Assert.Equal(65, report.Cells.Single(c => c.Cell.Key[0] is null && c.Cell.Key[1] == "R").Published);
        Assert.Null(report.Cells.Single(c => c.Cell.Key[0] == "2010" && c.Cell.Key[1] == "R").Published);
    }

    [Fact]
    public void A_table_with_no_small_cell_passes()
    {
        var cells = new[] { new OutputCell(["A"], "n", 20, 20), new OutputCell(["B"], "n", 30, 30), new OutputCell([null], "n", 50, 50) };
        var report = DisclosureCheck.Evaluate(new OutputTable(["g"], cells, Columns, 3, 100), DisclosureSettings.Default);
        Assert.Equal(DisclosureVerdict.Pass, report.Verdict);
        Assert.Equal([20.0, 30.0, 50.0], report.Cells.Select(c => c.Published!.Value));
    }

    [Fact]
    public void Dominance_rules_suppress_magnitude_cells_with_enough_persons()
    {
        // 20 persons, one of whom holds almost all of the amount: p% rule.
        var dominated = new OutputCell(["cardio"], "amount", 10_000, 20, true, [9_500, 30], 10_000);
        Assert.Contains("p%", DisclosureCheck.PrimaryRule(dominated, DisclosureSettings.Default));
        // Two contributors make 95%: (2, 90%) rule, while p% alone would not catch it with p = 1%.
        var pair = new OutputCell(["onco"], "amount", 10_000, 15, true, [4_800, 4_700], 10_000);
        Assert.Contains("(2,90", DisclosureCheck.PrimaryRule(pair, DisclosureSettings.Default with { DominanceP = 0.01 }));
        // Spread evenly: fine.
        var spread = new OutputCell(["derm"], "amount", 10_000, 40, true, [300, 290], 10_000);
        Assert.Null(DisclosureCheck.PrimaryRule(spread, DisclosureSettings.Default));
    }

    [Fact]
    public void Zeros_are_suppressed_only_when_configured()
    {
        var zero = new OutputCell(["x"], "n", 0, 0);
        Assert.Null(DisclosureCheck.PrimaryRule(zero, DisclosureSettings.Default));
        Assert.Contains("zero", DisclosureCheck.PrimaryRule(zero, DisclosureSettings.Default with { ZerosDisclosive = true }));
    }

    [Fact]
    public void Person_ids_oversized_outputs_and_odd_types_fail()
    {
        var columns = new[] { new OutputColumn("NUM_ENQ", "VARCHAR", IsPersonId: true), new OutputColumn("blob", "BLOB") };
        var report = DisclosureCheck.Evaluate(new OutputTable([], [], columns, 6000, 20L << 20), DisclosureSettings.Default);
        Assert.Equal(DisclosureVerdict.Fail, report.Verdict);
        Assert.Equal(4, report.Problems.Count);
        Assert.Contains(report.Problems, p => p.Contains("NUM_ENQ"));
        Assert.Contains(report.Problems, p => p.Contains("6000 rows"));
        Assert.Contains(report.Problems, p => p.Contains("BLOB"));
    }
}
