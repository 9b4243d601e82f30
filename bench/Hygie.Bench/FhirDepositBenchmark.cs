using System.Diagnostics;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hygie.Ingest.Deposit;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;

namespace Hygie.Bench;

/// <summary>
/// The 30 Synthea transaction bundles deposited into a research dataset of kind <c>fhir</c> through
/// <see cref="DatasetService.DepositFhirAsync"/> (strict parsing, references resolved, persons pseudonymized,
/// de-identification, view tables to Parquet, NDJSON and Parquet sealed, manifest and audit), in resources per second,
/// against the Firely SDK merely parsing the same bundles with the same strict settings in the same run: how much the
/// pipeline costs over the parsing that any FHIR reader must do. Rounds alternate; the best of each counts. No target:
/// the issue asks for the figure.
/// </summary>
public static class FhirDepositBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0]) : 3;
        var files = Directory.GetFiles(FhirBenchmark.DataPath("fhir-synthea-r4"), "*.json").Order(StringComparer.Ordinal)
            .Select(f => (Name: Path.GetFileName(f), Bytes: File.ReadAllBytes(f))).ToList();
        var resources = files.Sum(f => JsonDocument.Parse(f.Bytes).RootElement.GetProperty("entry").GetArrayLength());
        Console.WriteLine($"fhir-deposit: {files.Count} Synthea bundles, {resources:N0} resources, {files.Sum(f => f.Bytes.Length) / (1 << 20):N0} MiB; best of {rounds} rounds");

        var dir = Path.Combine(Path.GetTempPath(), $"hygie-bench-fhir-deposit-{Guid.NewGuid():N}");
        var (hub, _) = await Hub.InitAsync(dir, new HubOpenOptions { Passphrase = null, Site = BenchOptions.QualifiedSite, Migrations = [.. HubModules.All.SelectMany(m => m.Migrations)] });
        try
        {
            var datasets = new DatasetService(hub);
            var strict = new FhirJsonDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
            double bestParse = double.MaxValue, bestDeposit = double.MaxValue;
            for (var round = 1; round <= rounds; round++)
            {
                var sw = Stopwatch.StartNew();
                var parsed = 0;
                foreach (var (_, bytes) in files)
                {
                    var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 128 });
                    parsed += ((Bundle)strict.DeserializeResource(ref reader)).Entry.Count;
                }
                var parse = sw.Elapsed.TotalSeconds;

                var name = $"clinical-{round}";
                await datasets.CreateAsync("bench", new NewDataset(name, "fhir", "clinical"));
                sw.Restart();
                var report = await datasets.DepositFhirAsync("bench", name, Files());
                var deposit = sw.Elapsed.TotalSeconds;
                var stored = report.ResourcesStored.Values.Sum() + report.ResourcesDropped.Values.Sum();
                if (parsed != resources || report.ResourcesRead.Values.Sum() != resources)
                {
                    Console.WriteLine($"fhir-deposit: read {report.ResourcesRead.Values.Sum()} and parsed {parsed} of {resources} resources: FAILED");
                    return 1;
                }
                Console.WriteLine($"  round {round}: parse only {parse:F2} s, deposit {deposit:F2} s ({stored:N0} resources stored or counted, {report.Persons} persons, {report.Parts.Count} sealed parts)");
                bestParse = Math.Min(bestParse, parse);
                bestDeposit = Math.Min(bestDeposit, deposit);
            }
            Report.Ratio("fhir-deposit resources/s (deposit vs strict parsing alone)", resources / bestDeposit, resources / bestParse, "resources/s", 0);
            return 0;
        }
        finally
        {
            await hub.DisposeAsync();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }

        async IAsyncEnumerable<DepositFile> Files()
        {
            foreach (var (name, bytes) in files)
            {
                await System.Threading.Tasks.Task.Yield();
                yield return new DepositFile(name, new MemoryStream(bytes, writable: false));
            }
        }
    }
}
