using Hygie.Core.Errors;
using Hygie.Ingest.BuiltIn;
using Hygie.Synthetic.Cohort;

namespace Hygie.Synthetic.Snds;

/// <summary>What was written for one table.</summary>
public sealed record TableExtract(string Table, string FileName, long Rows, long Bytes);

/// <summary>Progress of a generation: persons drawn or rows written, out of the total asked.</summary>
public sealed record SynthesisProgress(string Phase, long Done, long Total, long Bytes);

/// <summary>
/// A cohort written as the SNDS core tables (IR_BEN_R, ER_PRS_F, ER_PHA_F, T_MCOaaB, T_MCOaaC, T_MCOaaD, KI_CCI_R):
/// <c>;</c>-separated CSV with a header, columns as the hub's built-in definitions list them, dates in the formats
/// the SNDS's extracts use. Streams: one buffer per table, flushed between persons.
/// </summary>
public static class SndsExtract
{
    public static IReadOnlyList<string> Tables { get; } = ["IR_BEN_R", "ER_PRS_F", "ER_PHA_F", "T_MCOaaB", "T_MCOaaC", "T_MCOaaD", "KI_CCI_R"];

    /// <summary>The core table <paramref name="name"/> designates (<c>T_MCO19B</c> and <c>t_mcoaab</c> are T_MCOaaB), or null.</summary>
    public static string? Resolve(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var schema = BuiltInTables.Find(name.Trim()) ?? BuiltInTables.Find(name.Trim().ToUpperInvariant().Replace("AA", "aa", StringComparison.Ordinal));
        return schema is not null && Tables.Contains(schema.Name) ? schema.Name : null;
    }

    /// <summary>The table's name for the year, as the SNDS names its files: T_MCOaaB is T_MCO19B for 2019.</summary>
    public static string NameFor(string table, int year) =>
        table.Replace("aa", (year % 100).ToString("D2", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    public static string FileName(string table, int year) => NameFor(table, year) + ".csv";

    private static ITableRows Rows(string table, int year) => table switch
    {
        "IR_BEN_R" => new BeneficiaryRows(year),
        "ER_PRS_F" => new ClaimRows(year),
        "ER_PHA_F" => new PharmacyRows(year),
        "T_MCOaaB" => new StayRows(year),
        "T_MCOaaC" => new StayPersonRows(year),
        "T_MCOaaD" => new StayDiagnosisRows(year),
        "KI_CCI_R" => new DeathRows(year),
        _ => throw new ValidationFailedException($"unknown table {table}: the synthetic tables are {string.Join(", ", Tables)}", "table"),
    };

    /// <summary>
    /// Writes the cohort's rows of every table in <paramref name="outputs"/> (keyed by core table name) in one pass
    /// over its persons. The streams are written, not closed.
    /// </summary>
    public static async Task<IReadOnlyList<TableExtract>> WriteAsync(SyntheticCohort cohort, IReadOnlyDictionary<string, Stream> outputs,
        IProgress<SynthesisProgress>? progress = null, CancellationToken ct = default)
    {
        var year = cohort.Options.Year;
        var tables = outputs.Select(o => (Rows: Rows(Resolve(o.Key) ?? o.Key, year), Writer: new CsvRowWriter(o.Value))).ToList();
        foreach (var (rows, writer) in tables) writer.Header(rows.Header);
        long persons = 0;
        var total = cohort.Options.Persons;
        foreach (var member in cohort.Members())
        {
            foreach (var (rows, writer) in tables)
            {
                rows.Write(member, writer, long.MaxValue);
                await writer.FlushAsync(false, ct);
            }
            if (++persons % 1024 == 0) progress?.Report(new SynthesisProgress("persons", persons, total, tables.Sum(t => t.Writer.Bytes)));
        }
        foreach (var (_, writer) in tables) await writer.FlushAsync(true, ct);
        progress?.Report(new SynthesisProgress("persons", persons, total, tables.Sum(t => t.Writer.Bytes)));
        return tables.Select(t => new TableExtract(t.Rows.Table, FileName(t.Rows.Table, year), t.Writer.Rows, t.Writer.Bytes)).ToList();
    }

    /// <summary>
    /// Writes exactly <paramref name="rows"/> rows of one table, drawing persons from the start of the cohort for as
    /// long as it takes (the last person's rows are cut short): ten million ER_PRS_F rows are about 850,000 persons,
    /// all of whom a cohort of that size holds. The stream is written, not closed.
    /// </summary>
    public static async Task<TableExtract> WriteRowsAsync(SyntheticCohort cohort, string table, long rows, Stream output,
        IProgress<SynthesisProgress>? progress = null, CancellationToken ct = default)
    {
        if (rows < 0) throw new ValidationFailedException($"the number of rows is {rows}: give zero or more", "rows");
        var year = cohort.Options.Year;
        var writer = new CsvRowWriter(output);
        var tableRows = Rows(Resolve(table) ?? table, year);
        writer.Header(tableRows.Header);
        long written = 0, persons = 0;
        if (rows > 0)
            foreach (var member in cohort.Members(long.MaxValue))
            {
                written += tableRows.Write(member, writer, rows - written);
                await writer.FlushAsync(false, ct);
                if (++persons % 1024 == 0) progress?.Report(new SynthesisProgress("rows", written, rows, writer.Bytes));
                if (written >= rows) break;
            }
        await writer.FlushAsync(true, ct);
        progress?.Report(new SynthesisProgress("rows", written, rows, writer.Bytes));
        return new TableExtract(tableRows.Table, FileName(tableRows.Table, year), written, writer.Bytes);
    }
}
