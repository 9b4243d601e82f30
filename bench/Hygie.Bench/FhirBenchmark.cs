using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Hygie.Fhir;

namespace Hygie.Bench;

/// <summary>
/// The FHIR store through its HTTP API, with sealing on (as it runs) and off (the same server without encryption, the
/// baseline): <c>fhir-load</c> posts the 30 Synthea transaction bundles with 2 concurrent clients (resources per
/// second); <c>fhir-search</c> runs a mix of searches and reads with 8 concurrent clients (p50 / p99 latency).
/// Target: sealing costs at most ×1.3.
/// </summary>
public static class FhirBenchmark
{
    private const double MaxCost = 1.3;

    public static Task<int> LoadAsync(string[] args) => RunAsync(args, search: false);

    public static Task<int> SearchAsync(string[] args) => RunAsync(args, search: true);

    private static async Task<int> RunAsync(string[] args, bool search)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0]) : 3;
        var requests = args.Length > 1 ? int.Parse(args[1]) : 4000;
        var files = Directory.GetFiles(DataPath("fhir-synthea-r4"), "*.json").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        var resources = files.Sum(f => JsonDocument.Parse(f).RootElement.GetProperty("entry").GetArrayLength());
        Console.WriteLine($"{files.Count} Synthea bundles, {resources} resources; {(search ? $"{requests} requests, 8 clients" : $"{rounds} rounds, 2 clients")}");

        // Both servers (each on its own fresh hub) run side by side and take turns, so that the machine's other load
        // weighs on both alike; a warm-up load precedes the measures.
        await using var unsealed = await BenchServer.StartAsync(seal: false);
        await using var sealedServer = await BenchServer.StartAsync(seal: true);
        var servers = new Dictionary<bool, BenchServer> { [false] = unsealed, [true] = sealedServer };
        foreach (var server in servers.Values) await server.LoadAsync(files, await server.TenantAsync("warmup"));
        var results = new Dictionary<bool, (double Rate, double P50, double P99, double Throughput)>();
        if (!search)
        {
            var rates = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
            for (var round = 0; round < rounds; round++)
                foreach (var (seal, server) in servers)
                {
                    var tenant = await server.TenantAsync($"round-{round}");
                    var sw = Stopwatch.StartNew();
                    await server.LoadAsync(files, tenant);
                    rates[seal].Add(resources / sw.Elapsed.TotalSeconds);
                }
            foreach (var (seal, list) in rates)
            {
                var median = list.Order().ElementAt(list.Count / 2);
                Console.WriteLine($"  {(seal ? "sealed  " : "unsealed")}: {string.Join(", ", list.Select(r => $"{r:F0}"))} resources/s (median {median:F0})");
                results[seal] = (median, 0, 0, 0);
            }
        }
        else
        {
            var latencies = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
            var seconds = new Dictionary<bool, double> { [false] = 0, [true] = 0 };
            foreach (var server in servers.Values) await server.LoadAsync(files, await server.TenantAsync("data"));
            const int turns = 4;
            for (var turn = 0; turn < turns; turn++)
                foreach (var (seal, server) in servers)
                {
                    var (list, elapsed) = await server.SearchMixAsync("data", requests / turns, clients: 8);
                    latencies[seal].AddRange(list);
                    seconds[seal] += elapsed;
                }
            foreach (var (seal, list) in latencies)
            {
                list.Sort();
                var (p50, p99) = (list[list.Count / 2], list[(int)(list.Count * 0.99)]);
                var throughput = list.Count / seconds[seal];
                Console.WriteLine($"  {(seal ? "sealed  " : "unsealed")}: p50 {p50:F2} ms, p99 {p99:F2} ms, {throughput:F0} requests/s");
                results[seal] = (0, p50, p99, throughput);
            }
        }

        bool ok;
        if (!search)
        {
            ok = Report.Ratio("fhir-load sealed vs unsealed", results[true].Rate, results[false].Rate, "resources/s", 1 / MaxCost);
            Cost("fhir-load", results[false].Rate / results[true].Rate);
        }
        else
        {
            ok = Report.Ratio("fhir-search p50 sealed vs unsealed", results[true].P50, results[false].P50, "ms", 1 / MaxCost, higherIsBetter: false);
            ok &= Report.Ratio("fhir-search p99 sealed vs unsealed", results[true].P99, results[false].P99, "ms", 1 / MaxCost, higherIsBetter: false);
            Cost("fhir-search p50", results[true].P50 / results[false].P50);
            Cost("fhir-search p99", results[true].P99 / results[false].P99);
        }
        return ok ? 0 : 1;
    }

    private static void Cost(string what, double cost) =>
        Console.WriteLine($"{what}: sealing costs ×{cost:F2} (target ≤ ×{MaxCost:F2}) {(cost <= MaxCost ? "OK" : "MISSED")}");

    internal static string DataPath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Hygie.sln")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", name));
        throw new DirectoryNotFoundException("cannot find the repository root (Hygie.sln)");
    }

    /// <summary>A FHIR bench server, sealed or not, that loads the Synthea bundles and runs the search mix.</summary>
    private sealed class BenchServer : IAsyncDisposable
    {
        private readonly FhirBenchServer _server;

        private BenchServer(FhirBenchServer server) => _server = server;

        public static async Task<BenchServer> StartAsync(bool seal) => new(await FhirBenchServer.StartAsync(new FhirOptions { SealResources = seal }));

        public Task<string> TenantAsync(string name) => _server.TenantAsync(name);

        public ValueTask DisposeAsync() => _server.DisposeAsync();

        private HttpClient Client(string tenant) => _server.Client(tenant);
        /// <summary>Posts every bundle as a transaction, two clients taking files from one queue.</summary>
        public async Task LoadAsync(IReadOnlyList<byte[]> files, string tenant)
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
            {
                using var http = Client(tenant);
                int i;
                while ((i = Interlocked.Increment(ref next)) < files.Count)
                {
                    var content = new ByteArrayContent(files[i]);
                    content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
                    using var response = await http.PostAsync("", content);
                    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"bundle {i} answered {(int)response.StatusCode}");
                }
            }));
        }

        /// <summary>A mix of searches and reads over the loaded tenant; latency of each request.</summary>
        public async Task<(List<double> Latencies, double Seconds)> SearchMixAsync(string tenant, int requests, int clients)
        {
            using var setup = Client(tenant);
            var patients = JsonDocument.Parse(await setup.GetStringAsync("Patient?_count=100&_elements=id")).RootElement
                .GetProperty("entry").EnumerateArray().Select(e => e.GetProperty("resource").GetProperty("id").GetString()!).ToList();
            string[] Mix(int i)
            {
                var p = patients[i % patients.Count];
                return
                [
                    "Patient?gender=female&_count=20",
                    "Observation?code=http://loinc.org|8867-4&date=ge2015-01-01&_count=20",
                    $"Observation?subject=Patient/{p}&_sort=-date&_count=20",
                    $"Patient?_id={p}&_revinclude=Encounter:patient",
                    "Observation?code-value-quantity=http://loinc.org|8302-2$gt170&_count=20",
                    $"Patient/{p}",
                    $"Condition?patient=Patient/{p}",
                    "Immunization?date=ge2017-01-01&_summary=count",
                ];
            }
            // Warm-up pass over the mix.
            foreach (var url in Mix(0)) (await setup.GetAsync(url)).EnsureSuccessStatusCode();
            var latencies = new double[requests];
            var next = -1;
            var total = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                using var http = Client(tenant);
                int i;
                while ((i = Interlocked.Increment(ref next)) < requests)
                {
                    var mix = Mix(i / 8);
                    var url = mix[i % mix.Length];
                    var sw = Stopwatch.StartNew();
                    using var response = await http.GetAsync(url);
                    await response.Content.ReadAsByteArrayAsync();
                    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{url} answered {(int)response.StatusCode}");
                    latencies[i] = sw.Elapsed.TotalMilliseconds;
                }
            }));
            return ([.. latencies], total.Elapsed.TotalSeconds);
        }
    }
}
