using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Hygie.Analytics;
using Hygie.Core.Catalog;
using Hygie.Governance.OptOuts;
using Hygie.Governance.Permits;
using Hygie.Ingest.Deposit;
using Hygie.Server;
using Hygie.Server.Analysis;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hygie.Bench;

/// <summary>
/// A cohort aggregate (persons and amounts of consultations by département and year) on the deposited ER_PRS_F, through
/// the governed path — a real hub and server, a project applied for, submitted and approved by the API, the real
/// <see cref="WorkspaceService"/> (permit check at every query, workspace built from the sealed objects, persons
/// re-keyed, lock-down, audit) — against raw DuckDB over the same plaintext Parquet (the parts unsealed to tmpfs) in
/// the same run. Cold: the first query of a new workspace service (build included); warm: later queries. Rounds
/// alternate raw, cold and warm; the best of each counts. Targets: warm ≤ 1.2 × raw, cold ≤ 3 × raw.
/// </summary>
public static class QueryBenchmark
{
    private const double MaxWarm = 1.2;
    private const double MaxCold = 3.0;
    private const string Project = "bench-cohort";

    private static string Cohort(string person, string from) => $"""
        SELECT BEN_RES_DPT AS departement, year(EXE_SOI_DTD) AS year, count(DISTINCT {person}) AS persons, sum(PRS_PAI_MNT) AS amount
        FROM {from} WHERE PRS_NAT_REF IN ({string.Join(", ", ClaimsCsv.ConsultationNatures)})
        GROUP BY ALL ORDER BY departement, year
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args, defaultRounds: 3);
        var csv = options.EnsureCsv();
        var dir = Path.Combine(Path.GetTempPath(), $"hygie-bench-query-{Guid.NewGuid():N}");
        var modules = HubModules.All;
        var (hub, operatorToken) = await Hub.InitAsync(dir, new HubOpenOptions { Passphrase = null, Site = BenchOptions.QualifiedSite, Migrations = [.. modules.SelectMany(m => m.Migrations)] });
        var app = HygieServer.Build(hub, new ServerOptions { Urls = "http://127.0.0.1:0" }, modules, b => b.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        using var staging = MemoryStaging.Create();
        try
        {
            // the data: one deposit of the extract, as a producer makes it
            var datasets = app.Services.GetRequiredService<DatasetService>();
            await datasets.CreateAsync("bench", new NewDataset("dcir", "snds", "snds", CoverageStart: new DateOnly(2015, 1, 1), CoverageEnd: new DateOnly(2024, 12, 31)));
            var sw = Stopwatch.StartNew();
            DepositReport deposit;
            await using (var input = File.OpenRead(csv))
                deposit = await datasets.DepositSndsAsync("bench", "dcir", new SndsDepositRequest("ER_PRS_F", ';'), input);
            Console.WriteLine($"query: ER_PRS_F, {deposit.RowsStored:N0} rows, {deposit.Persons:N0} persons in {deposit.Parts.Count} sealed parts (deposited in {sw.Elapsed.TotalSeconds:F1} s); best of {options.Rounds} rounds");

            // the governance: a researcher's project, approved by a reviewer, through the API
            var api = new Api(new Uri(app.Urls.First()), operatorToken.Secret);
            var researcher = await api.UserAsync("alice", "researcher");
            var reviewer = await api.UserAsync("carol", "reviewer");
            await api.ApprovedProjectAsync(researcher, reviewer);

            // the baseline's input: the same Parquet, unsealed to memory (timed: the first step of a cold build)
            sw.Restart();
            var plain = new List<string>();
            foreach (var part in deposit.Parts)
            {
                var file = Path.Combine(staging.Path, $"part-{plain.Count}.parquet");
                await using (var sealedPart = await hub.Sealed.OpenReadAsync(part.ObjectId))
                await using (var output = File.Create(file))
                    await sealedPart.CopyToAsync(output);
                plain.Add(file);
            }
            var unseal = sw.Elapsed.TotalSeconds;
            var plainBytes = plain.Sum(f => new FileInfo(f).Length);
            var files = $"read_parquet([{string.Join(", ", plain.Select(f => $"'{f}'"))}])";
            var rawSql = Cohort("person_id", files);
            // the second step: the granted columns into memory, without re-keying
            var load = Time(() =>
            {
                using var db = new DuckDBConnection("Data Source=:memory:");
                db.Open();
                using var cmd = db.CreateCommand();
                cmd.CommandText = $"CREATE TABLE t AS SELECT person_id, EXE_SOI_DTD, PRS_NAT_REF, PRS_PAI_MNT, BEN_RES_DPT FROM {files}";
                cmd.ExecuteNonQuery();
                return Task.CompletedTask;
            });
            Console.WriteLine($"  for scale: unsealing the parts ({plainBytes / (1 << 20):N0} MiB of Parquet) to tmpfs {unseal:F2} s, loading the five columns into DuckDB {load:F2} s");
            var governedSql = Cohort("NUM_ENQ", "ER_PRS_F");

            double bestRaw = double.MaxValue, bestCold = double.MaxValue, bestWarm = double.MaxValue;
            List<object?[]>? rawRows = null, governedRows = null;
            for (var round = 1; round <= options.Rounds; round++)
            {
                // raw DuckDB, a fresh connection over the plaintext files
                var raw = Time(() => { rawRows = RawQuery(rawSql); return Task.CompletedTask; });

                // governed, cold: a new workspace service, so the first query builds the workspace from the sealed objects
                var workspaces = NewWorkspaceService(app.Services, hub);
                double cold;
                try
                {
                    cold = await TimeAsync(async () => governedRows = [.. (await workspaces.QueryAsync("alice", Project, governedSql, 0, 1000, default)).Rows]);
                    var warm = double.MaxValue;
                    for (var i = 0; i < 3; i++)
                        warm = Math.Min(warm, await TimeAsync(() => workspaces.QueryAsync("alice", Project, governedSql, 0, 1000, default)));
                    Console.WriteLine($"  round {round}: raw {raw:F3} s, governed cold {cold:F3} s, warm {warm:F3} s");
                    bestWarm = Math.Min(bestWarm, warm);
                }
                finally
                {
                    await workspaces.DisposeAsync();
                }
                bestRaw = Math.Min(bestRaw, raw);
                bestCold = Math.Min(bestCold, cold);
            }

            if (!SameResult(rawRows!, governedRows!))
            {
                Console.WriteLine("query: the governed result differs from the raw one: FAILED");
                return 1;
            }
            Console.WriteLine($"  same {rawRows!.Count} result rows (département × year) through both paths");
            var ok = Cost("query warm workspace", bestWarm, bestRaw, MaxWarm) & Cost("query cold (workspace built from sealed objects)", bestCold, bestRaw, MaxCold);
            return ok ? 0 : 1;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            await hub.DisposeAsync();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static bool Cost(string what, double ours, double raw, double max)
    {
        var ratio = ours / raw;
        var ok = ratio <= max;
        Console.WriteLine($"{what}: {ours:F3} s vs raw DuckDB over plaintext Parquet {raw:F3} s → ×{ratio:F2} (target ≤ ×{max:F1}) {(ok ? "OK" : "MISSED")}");
        return ok;
    }

    /// <summary>The service the server runs, as a new instance: no workspace built yet.</summary>
    private static WorkspaceService NewWorkspaceService(IServiceProvider services, Hub hub) =>
        new(hub, services.GetRequiredService<PermitEvaluator>(), services.GetRequiredService<OptOutRegistry>(),
            services.GetRequiredService<IDatasetCatalog>(), services);

    private static List<object?[]> RawQuery(string sql)
    {
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Same départements, years and person counts; amounts equal but for the order of additions.</summary>
    private static bool SameResult(List<object?[]> raw, List<object?[]> governed)
    {
        if (raw.Count != governed.Count || raw.Count == 0) return false;
        for (var i = 0; i < raw.Count; i++)
        {
            var (a, b) = (raw[i], governed[i]);
            if (!Equals(a[0]?.ToString(), b[0]?.ToString()) || Convert.ToInt64(a[1], CultureInfo.InvariantCulture) != Convert.ToInt64(b[1], CultureInfo.InvariantCulture)
                || Convert.ToInt64(a[2], CultureInfo.InvariantCulture) != Convert.ToInt64(b[2], CultureInfo.InvariantCulture)) return false;
            var (x, y) = (Convert.ToDouble(a[3], CultureInfo.InvariantCulture), Convert.ToDouble(b[3], CultureInfo.InvariantCulture));
            if (Math.Abs(x - y) > 1e-6 * Math.Max(1, Math.Abs(x))) return false;
        }
        return true;
    }

    private static double Time(Func<Task> action) => TimeAsync(action).GetAwaiter().GetResult();

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var sw = Stopwatch.StartNew();
        await action();
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>The hub's HTTP API, as the CLI and the web console use it.</summary>
    private sealed class Api(Uri baseAddress, string operatorToken)
    {
        private HttpClient Client(string token)
        {
            var client = new HttpClient { BaseAddress = baseAddress };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        /// <summary>A user with one role and a token; returns the token.</summary>
        public async Task<string> UserAsync(string name, string role)
        {
            using var op = Client(operatorToken);
            await Expect(await op.PostAsJsonAsync("/api/users", new { name, roles = new[] { role }, organisation = "Inserm", displayName = name, publicConsent = false }));
            var issued = await Expect(await op.PostAsJsonAsync("/api/tokens", new { user = name, expiresIn = "30d" }));
            return issued.GetProperty("secret").GetString()!;
        }

        public async Task ApprovedProjectAsync(string researcher, string reviewer)
        {
            var application = new JsonObject
            {
                ["id"] = Project,
                ["title"] = "Consultations by département and year",
                ["summary"] = "Persons seen in general and specialist consultations and the amounts paid, by département and year.",
                ["purpose"] = "Describe the use of consultations across départements over ten years of claims.",
                ["sponsor"] = "Inserm U1018",
                ["legalBasis"] = new JsonObject { ["kind"] = "reference-methodology", ["methodology"] = "MR-004", ["declaration"] = "2224987" },
                ["datasets"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["dataset"] = "dcir",
                        ["tables"] = new JsonArray { new JsonObject { ["table"] = "ER_PRS_F", ["columns"] = new JsonArray("person_id", "EXE_SOI_DTD", "PRS_NAT_REF", "PRS_PAI_MNT", "BEN_RES_DPT") } },
                    },
                },
                ["period"] = new JsonObject { ["from"] = "2015-01-01", ["to"] = "2024-12-31" },
                ["members"] = new JsonArray("alice"),
                ["requestedDurationMonths"] = 12,
            };
            using var alice = Client(researcher);
            using var carol = Client(reviewer);
            await Expect(await alice.PostAsJsonAsync("/api/projects", application));
            await Expect(await alice.PostAsync($"/api/projects/{Project}/submit", null));
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            await Expect(await carol.PostAsJsonAsync($"/api/reviews/{Project}/approve",
                new { from = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), to = today.AddMonths(6).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) }));
        }

        private static async Task<JsonElement> Expect(HttpResponseMessage response)
        {
            var text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
            return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        }
    }
}
