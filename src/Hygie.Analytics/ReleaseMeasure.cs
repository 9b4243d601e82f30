using System.Globalization;
using System.Text.RegularExpressions;
using Hygie.Core.Disclosure;

namespace Hygie.Analytics;

/// <summary>
/// What a researcher asks to release: a row-level SELECT over the workspace (which must return the person column),
/// the dimensions to tabulate it by, and optionally one numeric column to sum. The hub — never the researcher —
/// builds the aggregate, so every cell's persons are measured by construction.
/// </summary>
/// <param name="Query">row-level SELECT returning <paramref name="PersonColumn"/>, the dimensions and the summed column.</param>
/// <param name="Dimensions">1 to 4 columns of the query; every margin (CUBE) is computed too.</param>
/// <param name="Sum">a numeric column to sum (a magnitude measure), or null for person counts only.</param>
public sealed record ReleaseSpec(string Query, IReadOnlyList<string> Dimensions, string? Sum, string PersonColumn);

/// <summary>The measured table (for the disclosure check) and the rows as they would be published.</summary>
public sealed record MeasuredRelease(OutputTable Table, DisclosureReport Report, IReadOnlyList<string> Header, IReadOnlyList<string?[]> Published);

/// <summary>
/// Measures a release: <c>count(DISTINCT person)</c> for every cell and margin (GROUP BY CUBE over the dimensions,
/// GROUPING_ID telling a margin from a real NULL), and for a SUM the per-person contributions of each cell (the
/// same grouping sets extended by the person), its three largest kept for the dominance rules. Then runs
/// <see cref="DisclosureCheck"/> and renders the published table, suppressed cells blank.
/// </summary>
public static partial class ReleaseMeasure
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();

    public const string Missing = "(missing)";

    public static async Task<MeasuredRelease> MeasureAsync(Workspace workspace, ReleaseSpec spec, DisclosureSettings settings, CancellationToken ct = default)
    {
        if (spec.Dimensions.Count is < 1 or > 4)
            throw new QueryRefusedException("a release is tabulated by 1 to 4 dimensions", "release-dimensions");
        foreach (var name in spec.Dimensions.Append(spec.PersonColumn).Concat(spec.Sum is null ? [] : [spec.Sum]))
            if (!Identifier().IsMatch(name)) throw new QueryRefusedException($"'{name}' is not a plain column name", "release-column");
        if (spec.Dimensions.Any(d => string.Equals(d, spec.PersonColumn, StringComparison.OrdinalIgnoreCase)))
            throw new QueryRefusedException($"the person column {spec.PersonColumn} cannot be a dimension: outputs must be aggregates", "release-person-dimension");
        var query = workspace.Validate(spec.Query);
        var dims = spec.Dimensions.Select(Q).ToList();
        var dimList = string.Join(", ", dims);
        var person = Q(spec.PersonColumn);
        var sum = spec.Sum is null ? "" : $", CAST(sum({Q(spec.Sum)}) AS DOUBLE) AS _total";
        var cellsSql = $"WITH base AS ({query}) SELECT {string.Join(", ", dims.Select(d => $"CAST({d} AS VARCHAR)"))}, GROUPING_ID({dimList}) AS _g, " +
                       $"count(DISTINCT {person}) AS _persons{sum} FROM base GROUP BY CUBE ({dimList})";
        var maxCells = settings.MaxRows * 4L;
        var (_, cellRows) = await workspace.QueryAllAsync(cellsSql, maxCells, ct);
        if (cellRows.Count > maxCells) throw new QueryRefusedException($"the release has more than {maxCells} cells", "release-too-large");

        var contributions = new Dictionary<string, List<double>>();
        if (spec.Sum is not null)
        {
            var sets = Enumerable.Range(0, 1 << dims.Count)
                .Select(mask => "(" + string.Join(", ", dims.Where((_, i) => (mask & (1 << i)) != 0).Append(person)) + ")");
            var contribSql = $"WITH base AS ({query}), c AS (SELECT {string.Join(", ", dims.Select(d => $"CAST({d} AS VARCHAR) AS {d}"))}, GROUPING_ID({dimList}) AS _g, " +
                             $"CAST(sum({Q(spec.Sum)}) AS DOUBLE) AS v FROM base GROUP BY GROUPING SETS ({string.Join(", ", sets)})) " +
                             $"SELECT {dimList}, _g, v FROM c QUALIFY row_number() OVER (PARTITION BY {dimList}, _g ORDER BY v DESC NULLS LAST) <= 3";
            var (_, rows) = await workspace.QueryAllAsync(contribSql, maxCells * 3, ct);
            foreach (var row in rows)
            {
                var k = KeyOf(row, dims.Count);
                if (!contributions.TryGetValue(CellId(k), out var list)) contributions[CellId(k)] = list = [];
                if (row[dims.Count + 1] is { } v) list.Add(Convert.ToDouble(v, CultureInfo.InvariantCulture));
            }
            foreach (var list in contributions.Values) list.Sort((a, b) => b.CompareTo(a));
        }

        var cells = new List<OutputCell>();
        foreach (var row in cellRows)
        {
            var key = KeyOf(row, dims.Count);
            var persons = Convert.ToInt64(row[dims.Count + 1], CultureInfo.InvariantCulture);
            cells.Add(new OutputCell(key, "persons", persons, persons));
            if (spec.Sum is not null)
            {
                var total = row[dims.Count + 2] is { } t ? Convert.ToDouble(t, CultureInfo.InvariantCulture) : 0;
                cells.Add(new OutputCell(key, $"sum_{spec.Sum}", total, persons, IsMagnitude: true,
                    contributions.GetValueOrDefault(CellId(key)) ?? [], total));
            }
        }

        var header = spec.Dimensions.Append("persons").Concat(spec.Sum is null ? [] : [$"sum_{spec.Sum}"]).ToList();
        var columns = spec.Dimensions.Select(d => new OutputColumn(d, "VARCHAR")).Append(new OutputColumn("persons", "BIGINT"))
            .Concat(spec.Sum is null ? [] : [new OutputColumn($"sum_{spec.Sum}", "DOUBLE")]).ToList();
        var bytes = cellRows.Sum(r => r.Sum(v => (long)(v?.ToString()?.Length ?? 0) + 1));
        var table = new OutputTable(spec.Dimensions, cells, columns, cellRows.Count, bytes);
        var report = DisclosureCheck.Evaluate(table, settings);

        var perRow = spec.Sum is null ? 1 : 2;
        var published = new List<string?[]>();
        for (var i = 0; i < cellRows.Count; i++)
        {
            var line = new string?[header.Count];
            var key = report.Cells[i * perRow].Cell.Key;
            for (var d = 0; d < dims.Count; d++) line[d] = key[d] ?? "Total";
            for (var m = 0; m < perRow; m++)
                line[dims.Count + m] = report.Cells[i * perRow + m].Published is { } p ? p.ToString(CultureInfo.InvariantCulture) : null;
            published.Add(line);
        }
        return new MeasuredRelease(table, report, header, published);
    }

    private static string?[] KeyOf(object?[] row, int dims)
    {
        var g = Convert.ToInt64(row[dims], CultureInfo.InvariantCulture);
        var key = new string?[dims];
        for (var d = 0; d < dims; d++)
        {
            var margin = (g & (1L << (dims - 1 - d))) != 0; // GROUPING_ID: first argument is the highest bit
            key[d] = margin ? null : row[d]?.ToString() ?? Missing;
        }
        return key;
    }

    private static string CellId(IReadOnlyList<string?> key) => string.Join("\u001f", key.Select(k => k ?? "\u0000"));

    private static string Q(string name) => "\"" + name.Replace("\"", "\"\"") + "\"";
}
