namespace Hygie.Core.Disclosure;

/// <summary>
/// Decides what of an aggregate output may leave the hub: structural refusals (person ids, size, types), primary
/// suppression (threshold, dominance, zeros), secondary suppression so no suppressed cell can be recomputed from a line
/// total, then rounding of what is released.
/// </summary>
public static class DisclosureCheck
{
    public static DisclosureReport Evaluate(OutputTable table, DisclosureSettings settings)
    {
        var problems = StructuralProblems(table, settings);
        var status = new CellStatus[table.Cells.Count];
        var rules = new string?[table.Cells.Count];

        for (var i = 0; i < table.Cells.Count; i++)
        {
            var rule = PrimaryRule(table.Cells[i], settings);
            if (rule is not null) { status[i] = CellStatus.PrimarySuppressed; rules[i] = rule; }
        }

        if (settings.SecondarySuppression) SuppressSecondary(table, status, rules);

        var reports = new List<CellReport>(table.Cells.Count);
        for (var i = 0; i < table.Cells.Count; i++)
        {
            var cell = table.Cells[i];
            double? published = status[i] == CellStatus.Released ? Round(cell, settings) : null;
            reports.Add(new CellReport(cell, status[i], rules[i], published));
        }

        var verdict = problems.Count > 0 ? DisclosureVerdict.Fail
            : reports.Any(r => r.Status != CellStatus.Released) ? DisclosureVerdict.Review
            : DisclosureVerdict.Pass;
        return new DisclosureReport(verdict, reports, problems);
    }

    private static List<string> StructuralProblems(OutputTable table, DisclosureSettings settings)
    {
        var problems = new List<string>();
        foreach (var column in table.Columns.Where(c => c.IsPersonId))
            problems.Add($"column '{column.Name}' holds person identifiers: outputs must be aggregates");
        if (table.Rows > settings.MaxRows)
            problems.Add($"the output has {table.Rows} rows, more than the {settings.MaxRows} allowed");
        if (table.Bytes > settings.MaxBytes)
            problems.Add($"the output is {table.Bytes} bytes, more than the {settings.MaxBytes} allowed");
        foreach (var column in table.Columns.Where(c => !settings.AllowedTypes.Contains(BaseType(c.Type))))
            problems.Add($"column '{column.Name}' has type {column.Type}, which outputs may not hold");
        return problems;
    }

    private static string BaseType(string type)
    {
        var paren = type.IndexOf('(');
        return (paren < 0 ? type : type[..paren]).Trim();
    }

    /// <summary>The rule a cell breaks on its own, or null.</summary>
    public static string? PrimaryRule(OutputCell cell, DisclosureSettings s)
    {
        if (cell.Persons == 0 && cell.Value == 0)
            return s.ZerosDisclosive ? "zero: zero cells are disclosive on this hub" : null;
        if (cell.Persons < s.Threshold)
            return $"threshold: fewer than {s.Threshold} persons";
        if (cell.IsMagnitude && cell.Contributions is { Count: > 0 } top)
        {
            var total = cell.Total ?? cell.Value;
            if (total > 0)
            {
                var x1 = top[0];
                var x2 = top.Count > 1 ? top[1] : 0;
                if (total - x1 - x2 < s.DominanceP * x1)
                    return $"dominance (p%): the largest contributor could be estimated within {s.DominanceP:P0}";
                var topN = top.Take(s.DominanceN).Sum();
                if (topN > s.DominanceK * total)
                    return $"dominance ({s.DominanceN},{s.DominanceK:P0}): the {s.DominanceN} largest contributors make {topN / total:P0} of the cell";
            }
        }
        return null;
    }

    /// <summary>
    /// A line is every cell that shares all key positions but one, with the margin (null) in that position as its
    /// total. While a line holds exactly one suppressed cell, that cell could be recomputed: suppress the smallest
    /// released cell of the line too (interior cells before margins, then key order for a deterministic result).
    /// </summary>
    private static void SuppressSecondary(OutputTable table, CellStatus[] status, string?[] rules)
    {
        var dimensions = table.Dimensions.Count;
        if (dimensions == 0) return;
        var byMeasure = Enumerable.Range(0, table.Cells.Count).GroupBy(i => table.Cells[i].Measure);
        foreach (var measureCells in byMeasure)
        {
            var lines = new List<int[]>();
            for (var d = 0; d < dimensions; d++)
            {
                var dim = d;
                foreach (var line in measureCells.GroupBy(i => LineKey(table.Cells[i].Key, dim)))
                {
                    var members = line.ToArray();
                    // A line is additive only when it has its margin and at least two interior cells.
                    if (members.Count(i => table.Cells[i].Key[dim] is null) == 1 && members.Length >= 3) lines.Add(members);
                }
            }

            bool changed;
            do
            {
                changed = false;
                foreach (var line in lines)
                {
                    if (line.Count(i => status[i] != CellStatus.Released) != 1) continue;
                    var candidate = line.Where(i => status[i] == CellStatus.Released)
                        .OrderBy(i => table.Cells[i].Key.Any(k => k is null) ? 1 : 0)
                        .ThenBy(i => table.Cells[i].Value)
                        .ThenBy(i => string.Join('\u0001', table.Cells[i].Key.Select(k => k ?? "")), StringComparer.Ordinal)
                        .Cast<int?>().FirstOrDefault();
                    if (candidate is null) continue;
                    status[candidate.Value] = CellStatus.SecondarySuppressed;
                    rules[candidate.Value] = "secondary: protects a suppressed cell in the same row, column or total";
                    changed = true;
                }
            } while (changed);
        }
    }

    private static string LineKey(IReadOnlyList<string?> key, int free) =>
        string.Join('\u0001', key.Select((k, i) => i == free ? "*" : k is null ? "\u0000" : k));

    private static double Round(OutputCell cell, DisclosureSettings s)
    {
        if (s.RoundingBase is not { } b || b <= 1) return cell.Value;
        return Math.Round(cell.Value / b, MidpointRounding.AwayFromZero) * b;
    }
}
