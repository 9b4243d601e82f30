using System.Diagnostics;
using System.Security.Cryptography;
using Hygie.Core.Deidentification;
using Hygie.Core.Pseudonymization;
using Hygie.Ingest.BuiltIn;
using Hygie.Ingest.Csv;
using Hygie.Ingest.Deidentification;
using Hygie.Ingest.Deposit;
using Hygie.Storage.Sealing;

namespace Hygie.Bench;

/// <summary>
/// Where a deposit's time goes (<c>deposit-stages --rows N</c>): the same extract read several times on one thread,
/// each pass adding one stage of the pipeline — parse and validate; + pseudonymize and de-identify; + Parquet into a
/// sink; + sealing — so that each stage's cost is the difference with the pass before. Not a target: a profile.
/// </summary>
public static class DepositStages
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args, defaultRounds: 1);
        var csv = options.EnsureCsv();
        var schema = BuiltInTables.Find("ER_PRS_F")!;
        var key = RandomNumberGenerator.GetBytes(32);
        double previous = 0;
        foreach (var stage in new[] { "parse", "deidentify", "parquet", "seal" })
        {
            var best = double.MaxValue;
            for (var round = 0; round < options.Rounds; round++)
            {
                GC.Collect();
                var sw = Stopwatch.StartNew();
                await using var input = new FileStream(csv, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                using var reader = new SndsCsvReader(input, schema, new CsvReadOptions { Delimiter = ';' });
                await reader.ReadHeaderAsync();
                using var pseudonymizer = new Pseudonymizer(key, new PseudonymizerOptions { CacheCapacity = 1_000_000 });
                var plan = new BatchDeidentifier(schema, reader.Header, DeidentificationProfile.SndsDefault, pseudonymizer, new PersonAliases());
                using var sealing = new SealingStream(Stream.Null, "bench/part", "bench-key", key);
                Stream sink = stage == "seal" ? sealing : Stream.Null;
                ParquetPartWriter? writer = stage is "parquet" or "seal" ? await ParquetPartWriter.CreateAsync(plan.OutputSchema, sink, default) : null;
                while (await reader.ReadBatchAsync() is { } batch)
                {
                    if (stage == "parse") { batch.Dispose(); continue; }
                    using var clean = plan.Apply(batch);
                    if (writer is not null) await writer.WriteAsync(clean, default);
                }
                if (writer is not null) await writer.DisposeAsync();
                if (stage == "seal") sealing.Finish();
                best = Math.Min(best, sw.Elapsed.TotalSeconds);
            }
            Console.WriteLine($"  {stage,-10} {best,6:F2} s  (+{best - previous:F2} s)");
            previous = best;
        }
        return 0;
    }
}
