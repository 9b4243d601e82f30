using Hygie.Bench;

// Each scenario prints its figure and its ratio to a baseline measured in the same run.
var scenarios = new Dictionary<string, Func<string[], Task<int>>>(StringComparer.OrdinalIgnoreCase)
{
    ["seal"] = SealBenchmark.RunAsync,
    ["audit"] = AuditBenchmark.RunAsync,
    ["migrate"] = MigrateBenchmark.RunAsync,
    ["fhir-load"] = FhirBenchmark.LoadAsync,
    ["fhir-search"] = FhirBenchmark.SearchAsync,
    ["alerts"] = AlertBenchmark.RunAsync,
    ["deposit"] = DepositBenchmark.RunAsync,
    ["deposit-stages"] = DepositStages.RunAsync,
    ["fhir-deposit"] = FhirDepositBenchmark.RunAsync,
    ["query"] = QueryBenchmark.RunAsync,
};
// the deposit scenario's child process, not a scenario of its own
if (args is ["deposit-run", ..]) return await DepositBenchmark.RunChildAsync(args[1..]);

if (args.Length == 0 || !scenarios.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: dotnet run -c Release --project bench/Hygie.Bench -- <{string.Join('|', scenarios.Keys)}> [options]");
    return 2;
}
return await run(args[1..]);
