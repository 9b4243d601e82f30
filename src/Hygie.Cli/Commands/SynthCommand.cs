using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using Hygie.Storage.Operations;
using Hygie.Synthetic.Cohort;
using Hygie.Synthetic.Fhir;
using Hygie.Synthetic.Snds;

namespace Hygie.Cli.Commands;

/// <summary>
/// <c>hygie synth</c>: writes a synthetic cohort as the SNDS core tables (one CSV per table, named as the table) and
/// FHIR patient bundles, or one large table (<c>--table ER_PRS_F --rows 10000000</c>) for benchmarks. Works offline:
/// it touches no hub.
/// </summary>
public static class SynthCommand
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var output = new Option<string>("--out") { Description = "the directory to write into (created if missing)", Required = true };
        var persons = new Option<long>("--persons") { Description = "persons in the cohort", DefaultValueFactory = _ => CohortOptions.DefaultPersons };
        var seed = new Option<long>("--seed") { Description = "the seed: the same seed writes the same bytes", DefaultValueFactory = _ => 1 };
        var year = new Option<int>("--year") { Description = "the year of care", DefaultValueFactory = _ => 2019 };
        var fhir = new Option<int?>("--fhir-patients") { Description = "FHIR patient bundles to write, for the first persons a clinic would know (default: one person in 20)" };
        var table = new Option<string?>("--table") { Description = $"write this table only ({string.Join(", ", SndsExtract.Tables)})" };
        var rows = new Option<long?>("--rows") { Description = "with --table: exactly this many rows, drawing as many persons as needed" };
        var force = new Option<bool>("--force") { Description = "write into a directory that is not empty (files of the same names are replaced)" };

        NotNegative(persons, "--persons");
        NotNegative(rows, "--rows");
        fhir.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 0) r.AddError($"--fhir-patients is {r.GetValueOrDefault<int?>()}: give zero or more");
        });
        year.Validators.Add(r =>
        {
            var y = r.GetValueOrDefault<int>();
            if (y is < CohortOptions.FirstYear or > CohortOptions.LastYear) r.AddError($"--year is {y}: give a year from {CohortOptions.FirstYear} to {CohortOptions.LastYear}");
        });
        table.Validators.Add(r =>
        {
            var name = r.GetValueOrDefault<string?>();
            if (SndsExtract.Resolve(name) is null) r.AddError($"--table: unknown table '{name}': the synthetic tables are {string.Join(", ", SndsExtract.Tables)}");
        });

        var command = new Command("synth", "write a synthetic cohort: the SNDS core tables as CSV (deposit them with 'hygie deposit') and FHIR patient bundles")
        {
            output, persons, seed, year, fhir, table, rows, force,
        };
        command.Validators.Add(r =>
        {
            if (r.GetResult(rows) is not null && r.GetResult(table) is null) r.AddError("--rows goes with --table: name the table to write, e.g. --table ER_PRS_F --rows 10000000");
            if (r.GetResult(fhir) is not null && r.GetResult(table) is not null) r.AddError("--fhir-patients goes with the whole extract, not with --table");
        });

        command.SetHandler(console, async (parse, ct) =>
        {
            var json = parse.GetValue(g.Json);
            var directory = Path.GetFullPath(parse.GetValue(output)!);
            if (File.Exists(directory)) throw new CliException($"--out {directory} is a file, not a directory");
            if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any() && !parse.GetValue(force))
                throw new CliException($"--out {directory} is not empty: pass --force to replace the files synth writes there");
            Directory.CreateDirectory(directory);

            var options = new CohortOptions { Seed = parse.GetValue(seed), Persons = parse.GetValue(persons), Year = parse.GetValue(year) };
            var cohort = new SyntheticCohort(options);
            var progress = Progress(console, json);
            var clock = Stopwatch.StartNew();
            var written = new List<TableExtract>();
            int bundles = 0, resources = 0;

            if (parse.GetValue(table) is { } only)
            {
                var name = SndsExtract.Resolve(only)!;
                await using var file = Create(Path.Combine(directory, SndsExtract.FileName(name, options.Year)));
                written.Add(parse.GetValue(rows) is { } count
                    ? await SndsExtract.WriteRowsAsync(cohort, name, count, file, progress, ct)
                    : (await SndsExtract.WriteAsync(cohort, new Dictionary<string, Stream> { [name] = file }, progress, ct))[0]);
            }
            else
            {
                var files = SndsExtract.Tables.ToDictionary(t => t, t => (Stream)Create(Path.Combine(directory, SndsExtract.FileName(t, options.Year))));
                try
                {
                    written.AddRange(await SndsExtract.WriteAsync(cohort, files, progress, ct));
                }
                finally
                {
                    foreach (var f in files.Values) await f.DisposeAsync();
                }
                var patients = parse.GetValue(fhir) ?? (int)Math.Min(int.MaxValue, options.Persons / 20);
                var folder = Path.Combine(directory, "fhir");
                Directory.CreateDirectory(folder);
                foreach (var stale in Directory.EnumerateFiles(folder, "patient-*.json")) File.Delete(stale);
                foreach (var b in new PatientBundles(cohort).Take(patients))
                {
                    await File.WriteAllBytesAsync(Path.Combine(folder, $"patient-{b.PersonIndex:D7}.json"), PatientBundles.Serialize(b.Bundle), ct);
                    bundles++;
                    resources += b.Resources;
                    progress?.Report(new SynthesisProgress("FHIR bundles", bundles, patients, 0));
                }
            }

            var seconds = clock.Elapsed.TotalSeconds;
            if (json)
            {
                console.WriteJson(new
                {
                    directory, seed = options.Seed, year = options.Year, persons = options.Persons,
                    tables = written.Select(t => new { table = t.Table, file = t.FileName, rows = t.Rows, bytes = t.Bytes }),
                    fhir = new { bundles, resources, directory = bundles > 0 ? Path.Combine(directory, "fhir") : null },
                    seconds = Math.Round(seconds, 2),
                });
                return HygieCli.Ok;
            }
            var totalRows = written.Sum(t => t.Rows);
            console.Line($"Synthetic data in {directory} (seed {options.Seed}, year {options.Year}), {totalRows:N0} rows in {seconds:F1} s ({totalRows / Math.Max(seconds, 0.001):N0} rows/s):");
            console.Table(["file", "table", "rows", "size"], written.Select(t => new[] { t.FileName, t.Table, t.Rows.ToString("N0"), CliProgress.Size(t.Bytes) }));
            if (bundles > 0) console.Line($"  fhir/: {bundles} patient bundles ({resources:N0} resources), identified by {PatientBundles.BenNirPsaSystem} and INS-NIR");
            console.Line($"  deposit a table: hygie deposit DATASET {written[0].Table} {Path.Combine(directory, written[0].FileName)}");
            return HygieCli.Ok;
        });
        return command;
    }

    private static void NotNegative(Option<long> option, string name) => option.Validators.Add(r =>
    {
        if (r.GetValueOrDefault<long>() < 0) r.AddError($"{name} is {r.GetValueOrDefault<long>()}: give zero or more");
    });

    private static void NotNegative(Option<long?> option, string name) => option.Validators.Add(r =>
    {
        if (r.GetValueOrDefault<long?>() is < 0) r.AddError($"{name} is {r.GetValueOrDefault<long?>()}: give zero or more");
    });

    private static FileStream Create(string path) =>
        new(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);

    private static IProgress<SynthesisProgress>? Progress(CliConsole console, bool json) =>
        CliProgress.For(console, json) is { } lines ? new ProgressLines(lines) : null;

    /// <summary>The generator's progress on the CLI's progress lines (synchronous: no thread-pool hop per report).</summary>
    private sealed class ProgressLines(IProgress<OperationProgress> lines) : IProgress<SynthesisProgress>
    {
        public void Report(SynthesisProgress value) => lines.Report(new OperationProgress(value.Phase, value.Done, value.Total, value.Bytes));
    }
}
