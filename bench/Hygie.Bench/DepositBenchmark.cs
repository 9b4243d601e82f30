using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using Hygie.Ingest.Deposit;
using Hygie.Storage.Hub;

namespace Hygie.Bench;

/// <summary>
/// An SNDS deposit end to end — <see cref="DatasetService.DepositSndsAsync"/> on a real hub: CSV parsed and validated,
/// pseudonymized, de-identified, written as Parquet, sealed — against DuckDB converting the same CSV to Parquet
/// (<c>COPY (SELECT * FROM read_csv(…)) TO … (FORMAT parquet)</c>) in the same run. Each deposit runs in a child process
/// (with the hub's own workstation GC), which reports its time and its peak resident memory (VmHWM); rounds alternate
/// DuckDB and ours, the best of each counts. Targets: ours ≤ 1.5 × DuckDB; peak memory &lt; 1 GiB.
/// </summary>
public static class DepositBenchmark
{
    private const double MaxRatio = 1.5;
    private const double MaxPeakMiB = 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args, defaultRounds: 3);
        var csv = options.EnsureCsv();
        var inputMiB = new FileInfo(csv).Length / (double)(1 << 20);
        Console.WriteLine($"deposit: ER_PRS_F, {options.Rows:N0} rows, {options.Persons:N0} persons, {inputMiB:F0} MiB of CSV; best of {options.Rounds} rounds");

        double bestDuck = double.MaxValue, bestOurs = double.MaxValue, peak = 0;
        for (var round = 1; round <= options.Rounds; round++)
        {
            var (duckSeconds, duckMiB) = DuckDbCopy(csv);
            var ours = await ChildDepositAsync(csv);
            if (ours.Rows != options.Rows)
            {
                Console.WriteLine($"deposit: stored {ours.Rows} rows of {options.Rows}: FAILED");
                return 1;
            }
            Console.WriteLine($"  round {round}: DuckDB {duckSeconds:F2} s ({duckMiB:F0} MiB of Parquet), ours {ours.Seconds:F2} s " +
                              $"({ours.Parts} sealed parts, {ours.SealedMiB:F0} MiB), peak memory {ours.PeakMiB:F0} MiB");
            bestDuck = Math.Min(bestDuck, duckSeconds);
            bestOurs = Math.Min(bestOurs, ours.Seconds);
            peak = Math.Max(peak, ours.PeakMiB);
        }

        var ratio = bestOurs / bestDuck;
        var ok = ratio <= MaxRatio;
        Console.WriteLine($"deposit: ours {bestOurs:F2} s ({options.Rows / bestOurs:N0} rows/s) vs DuckDB CSV → Parquet {bestDuck:F2} s " +
                          $"→ ×{ratio:F2} (target ≤ ×{MaxRatio:F2}) {(ok ? "OK" : "MISSED")}");
        ok &= Report.Absolute($"deposit peak memory for {inputMiB:F0} MiB of CSV", peak, "MiB", MaxPeakMiB, higherIsBetter: false);
        return ok ? 0 : 1;
    }

    /// <summary>The baseline: DuckDB's CSV reader (type sniffing, both cores) and its Parquet writer.</summary>
    private static (double Seconds, double ParquetMiB) DuckDbCopy(string csv)
    {
        var output = Path.Combine(Path.GetTempPath(), $"hygie-bench-duckdb-{Guid.NewGuid():N}.parquet");
        try
        {
            using var db = new DuckDBConnection("Data Source=:memory:");
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"COPY (SELECT * FROM read_csv('{csv.Replace("'", "''")}', delim = ';', header = true)) TO '{output}' (FORMAT parquet)";
            var sw = Stopwatch.StartNew();
            cmd.ExecuteNonQuery();
            var seconds = sw.Elapsed.TotalSeconds;
            return (seconds, new FileInfo(output).Length / (double)(1 << 20));
        }
        finally
        {
            File.Delete(output);
        }
    }

    private sealed record ChildResult(double Seconds, double PeakMiB, long Rows, int Parts, double SealedMiB);

    /// <summary>Runs <see cref="RunChildAsync"/> in a new process of this program and reads its result line.</summary>
    private static async Task<ChildResult> ChildDepositAsync(string csv)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(DepositBenchmark).Assembly.Location);
        start.ArgumentList.Add("deposit-run");
        start.ArgumentList.Add(csv);
        start.Environment["DOTNET_gcServer"] = "0"; // as `hygie serve` runs
        using var child = Process.Start(start)!;
        var output = await child.StandardOutput.ReadToEndAsync();
        await child.WaitForExitAsync();
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("deposit-run:", StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null) throw new InvalidOperationException($"the deposit child failed ({child.ExitCode}):\n{output}");
        var values = line["deposit-run:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
        double D(string k) => double.Parse(values[k], CultureInfo.InvariantCulture);
        return new ChildResult(D("seconds"), D("peak_mib"), long.Parse(values["rows"], CultureInfo.InvariantCulture),
            int.Parse(values["parts"], CultureInfo.InvariantCulture), D("sealed_mib"));
    }

    /// <summary>The child: a fresh hub in a temporary directory, one deposit of the file, timed; then the peak RSS.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        var csv = args[0];
        var dir = Path.Combine(Path.GetTempPath(), $"hygie-bench-deposit-{Guid.NewGuid():N}");
        try
        {
            var (hub, _) = await Hub.InitAsync(dir, new HubOpenOptions { Passphrase = null, Site = BenchOptions.QualifiedSite, Migrations = [.. DepositSchema.Migrations] });
            await using (hub)
            {
                var datasets = new DatasetService(hub);
                await datasets.CreateAsync("bench", new NewDataset("dcir", "snds", "snds"));
                // the managed heap's share of the peak, sampled: the rest is native (runtime, buffers, code)
                long peakHeap = 0;
                using var sampler = new Timer(_ => peakHeap = Math.Max(peakHeap, GC.GetGCMemoryInfo().HeapSizeBytes), null, 0, 200);
                var sw = Stopwatch.StartNew();
                DepositReport report;
                await using (var input = new FileStream(csv, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
                    report = await datasets.DepositSndsAsync("bench", "dcir", new SndsDepositRequest("ER_PRS_F", ';'), input);
                var seconds = sw.Elapsed.TotalSeconds;
                var sealedBytes = Directory.EnumerateFiles(dir, "*.parquet", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"deposit-run: seconds={seconds:F3} peak_mib={PeakResidentMiB():F1} rows={report.RowsStored} parts={report.Parts.Count} sealed_mib={sealedBytes / (double)(1 << 20):F1} heap_mib={peakHeap / (double)(1 << 20):F1}"));
            }
            return 0;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>VmHWM of this process, in MiB.</summary>
    public static double PeakResidentMiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }
}
