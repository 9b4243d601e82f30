namespace Hygie.Core.Disclosure;

/// <summary>
/// One cell of an output, as the hub measured it: never as the researcher declared it. <see cref="Key"/> holds one value
/// per dimension; <c>null</c> in a position means the margin (total) over that dimension.
/// </summary>
/// <param name="Persons">distinct persons behind the cell, computed by the hub.</param>
/// <param name="Contributions">for magnitude cells, the largest per-person contributions, largest first (at least N, two for the p% rule).</param>
/// <param name="Total">for magnitude cells, the sum of all contributions (the cell value before rounding).</param>
public sealed record OutputCell(
    IReadOnlyList<string?> Key,
    string Measure,
    double Value,
    long Persons,
    bool IsMagnitude = false,
    IReadOnlyList<double>? Contributions = null,
    double? Total = null);

/// <summary>An aggregate output to check: its dimensions, its cells, and its shape.</summary>
public sealed record OutputTable(
    IReadOnlyList<string> Dimensions,
    IReadOnlyList<OutputCell> Cells,
    IReadOnlyList<OutputColumn> Columns,
    long Rows,
    long Bytes);

/// <param name="IsPersonId">the column holds person identifiers or pseudonyms.</param>
public sealed record OutputColumn(string Name, string Type, bool IsPersonId = false);

public enum CellStatus { Released, PrimarySuppressed, SecondarySuppressed }

public enum DisclosureVerdict { Pass, Review, Fail }

/// <param name="Published">the value that may leave the hub (null when suppressed), rounded if configured.</param>
public sealed record CellReport(OutputCell Cell, CellStatus Status, string? Rule, double? Published);

public sealed record DisclosureReport(DisclosureVerdict Verdict, IReadOnlyList<CellReport> Cells, IReadOnlyList<string> Problems)
{
    public int PrimarySuppressed => Cells.Count(c => c.Status == CellStatus.PrimarySuppressed);
    public int SecondarySuppressed => Cells.Count(c => c.Status == CellStatus.SecondarySuppressed);
}
