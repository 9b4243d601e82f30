using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;
using Hygie.Core.Catalog;
using Hygie.Server.Analysis;
using Hygie.Server.Modules;
using Hygie.Testing;

namespace Hygie.Analytics.Tests;

/// <summary>The whole path through the real server: application, approval, permit, workspace, query, refusals.</summary>
public sealed class AnalysisServerTests
{
    private sealed class Catalog : IDatasetCatalog
    {
        public static readonly DatasetDescription Dcir = new("dcir", "snds", "snds", "claims", new DateOnly(2015, 1, 1), new DateOnly(2024, 12, 31),
        [
            new TableDescription("ER_PRS_F", "claims lines", 100, 40,
            [
                new("person_id", "VARCHAR", "hub pseudonym", IsPersonKey: true),
                new("EXE_SOI_DTD", "DATE", "start of care", DateColumn: true),
                new("PRS_NAT_REF", "INTEGER", "nature"),
                new("PRS_PAI_MNT", "DECIMAL", "amount"),
                new("BEN_SEX_COD", "INTEGER", "sex"),
            ]),
        ]);

        public Task<DatasetDescription?> FindAsync(string dataset, CancellationToken ct = default) =>
            Task.FromResult(string.Equals(dataset, "dcir", StringComparison.OrdinalIgnoreCase) ? Dcir : null);

        public Task<IReadOnlyList<DatasetDescription>> ListAsync(CancellationToken ct = default) => Task.FromResult<IReadOnlyList<DatasetDescription>>([Dcir]);
    }

    private sealed class Files : IDatasetFiles
    {
        public List<StoredTablePart> Parts { get; } = [];

        public Task<IReadOnlyList<StoredTablePart>> PartsAsync(string dataset, string table, CancellationToken ct = default) =>
            Task.FromResult<IReadOnlyList<StoredTablePart>>(table == "ER_PRS_F" ? Parts : []);
    }

    private sealed class Harness : IAsyncDisposable
    {
        private readonly Dictionary<string, string> _tokens = new();
        public required ManualClock Clock { get; init; }
        public required RunningServer Server { get; init; }

        public static async Task<Harness> StartAsync()
        {
            var clock = new ManualClock(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));
            var files = new Files();
            var server = await RunningServer.StartAsync(clock, [new GovernanceModule(new Catalog()), new AnalysisModule(files)]);
            var h = new Harness { Clock = clock, Server = server };
            foreach (var (name, roles) in new[] { ("alice", new[] { "researcher" }), ("bob", new[] { "researcher", "reviewer" }), ("carol", new[] { "reviewer" }), ("mallory", new[] { "researcher" }), ("dave", new[] { "reviewer" }), ("erin", new[] { "reviewer" }) })
            {
                using var op = server.Operator();
                await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/users", new { name, roles, organisation = "Inserm", displayName = name, publicConsent = false }));
                var issued = await op.PostAsJsonAsync("/api/tokens", new { user = name, expiresIn = "300d" });
                h._tokens[name] = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
            }
            files.Parts.Add(await SealedPartAsync(server.Hub.Hub));
            return h;
        }

        /// <summary>30 persons with nature 1 in 2020, 3 persons with nature 2 in 2021, one row of 2018 (outside the data period).</summary>
        private static async Task<StoredTablePart> SealedPartAsync(Storage.Hub.Hub hub)
        {
            var file = Path.Combine(Path.GetTempPath(), $"prs-{Guid.NewGuid():N}.parquet");
            try
            {
                using (var db = new DuckDBConnection("Data Source=:memory:"))
                {
                    db.Open();
                    using var cmd = db.CreateCommand();
                    cmd.CommandText = $"""
                        COPY (
                          SELECT 'p' || i AS person_id, DATE '2020-03-01' AS EXE_SOI_DTD, 1 AS PRS_NAT_REF, CAST(10 + i AS DECIMAL(10,2)) AS PRS_PAI_MNT, 1 AS BEN_SEX_COD FROM range(30) t(i)
                          UNION ALL SELECT 'q' || i, DATE '2021-05-01', 2, CAST(100 AS DECIMAL(10,2)), 2 FROM range(3) t(i)
                          UNION ALL SELECT 'old', DATE '2018-01-01', 1, CAST(1 AS DECIMAL(10,2)), 1
                        ) TO '{file}' (FORMAT parquet)
                        """;
                    cmd.ExecuteNonQuery();
                }
                var key = await hub.Keys.CreateAsync("dataset", "dcir");
                var objectId = $"datasets/dcir/er_prs_f/{Guid.NewGuid():N}.parquet";
                await hub.Sealed.WriteAsync(objectId, key, async (s, ct) => { await using var f = File.OpenRead(file); await f.CopyToAsync(s, ct); });
                return new StoredTablePart(objectId, 34, 34, "", "d1");
            }
            finally
            {
                File.Delete(file);
            }
        }

        public async Task<HttpResponseMessage> PostAsync(string user, string path, object? body = null)
        {
            using var client = Server.Client(_tokens[user]);
            return await client.PostAsync(path, body is null ? null : JsonContent.Create(body));
        }

        public string TokenOf(string user) => _tokens[user];

        public async Task<HttpResponseMessage> GetAsync(string user, string path)
        {
            using var client = Server.Client(_tokens[user]);
            return await client.GetAsync(path);
        }

        public async Task<string> ApprovedProjectAsync()
        {
            var application = new JsonObject
            {
                ["id"] = "glp1-2026",
                ["title"] = "Complications of type 2 diabetes after GLP-1 agonists",
                ["summary"] = "A cohort of adults with type 2 diabetes followed through their claims and hospital stays.",
                ["purpose"] = "Estimate the incidence of hospitalisations for acute pancreatitis after a first GLP-1 dispensing.",
                ["sponsor"] = "Inserm U1018",
                ["legalBasis"] = new JsonObject { ["kind"] = "reference-methodology", ["methodology"] = "MR-004", ["declaration"] = "2224987" },
                ["datasets"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["dataset"] = "dcir",
                        ["tables"] = new JsonArray { new JsonObject { ["table"] = "ER_PRS_F", ["columns"] = new JsonArray("person_id", "EXE_SOI_DTD", "PRS_NAT_REF", "PRS_PAI_MNT") } },
                    },
                },
                ["period"] = new JsonObject { ["from"] = "2019-01-01", ["to"] = "2022-12-31" },
                ["members"] = new JsonArray("alice", "bob"),
                ["requestedDurationMonths"] = 24,
            };
            await Expect(HttpStatusCode.Created, await PostAsync("alice", "/api/projects", application));
            await Expect(HttpStatusCode.OK, await PostAsync("alice", "/api/projects/glp1-2026/submit"));
            await Expect(HttpStatusCode.OK, await PostAsync("carol", "/api/reviews/glp1-2026/approve", new { from = "2026-06-01", to = "2026-12-31" }));
            return "glp1-2026";
        }

        public async ValueTask DisposeAsync() => await Server.DisposeAsync();
    }

    private static async Task<JsonElement> Expect(HttpStatusCode expected, HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected) Assert.Fail($"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Permit_to_query_pages_refusals_and_permit_end()
    {
        await using var h = await Harness.StartAsync();
        var project = await h.ApprovedProjectAsync();

        var tables = await Expect(HttpStatusCode.OK, await h.GetAsync("alice", $"/api/projects/{project}/workspace/tables"));
        var table = tables.EnumerateArray().Single();
        Assert.Equal("ER_PRS_F", table.GetProperty("name").GetString());
        Assert.Equal(33, table.GetProperty("rows").GetInt64()); // the 2018 row is outside the data period
        var columns = table.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        Assert.Contains("NUM_ENQ", columns);
        Assert.DoesNotContain("BEN_SEX_COD", columns);
        Assert.DoesNotContain("person_id", columns);

        var page = await Expect(HttpStatusCode.OK, await h.PostAsync("alice", $"/api/projects/{project}/query",
            new { sql = "SELECT PRS_NAT_REF, count(DISTINCT NUM_ENQ) AS n FROM ER_PRS_F GROUP BY 1 ORDER BY 1", page = 0, pageSize = 1 }));
        Assert.Single(page.GetProperty("rows").EnumerateArray());
        Assert.True(page.GetProperty("hasMore").GetBoolean());
        Assert.Equal(30, page.GetProperty("rows")[0][1].GetInt64());
        var second = await Expect(HttpStatusCode.OK, await h.PostAsync("bob", $"/api/projects/{project}/query",
            new { sql = "SELECT PRS_NAT_REF, count(DISTINCT NUM_ENQ) AS n FROM ER_PRS_F GROUP BY 1 ORDER BY 1", page = 1, pageSize = 1 }));
        Assert.Equal(3, second.GetProperty("rows")[0][1].GetInt64());

        // a column the permit does not grant is simply not there
        var forbidden = await h.PostAsync("alice", $"/api/projects/{project}/query", new { sql = "SELECT BEN_SEX_COD FROM ER_PRS_F" });
        Assert.Equal(HttpStatusCode.BadRequest, forbidden.StatusCode);
        Assert.Contains("BEN_SEX_COD", await forbidden.Content.ReadAsStringAsync());

        // escapes: files, configuration, several statements
        foreach (var escape in new[] { "SELECT * FROM read_csv('/etc/passwd')", "SET enable_external_access = true", "SELECT 1; DROP TABLE ER_PRS_F", "COPY ER_PRS_F TO '/tmp/x.csv'" })
        {
            var refused = await h.PostAsync("alice", $"/api/projects/{project}/query", new { sql = escape });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
        var explain = await Expect(HttpStatusCode.OK, await h.PostAsync("alice", $"/api/projects/{project}/explain", new { sql = "SELECT count(*) FROM ER_PRS_F" }));
        Assert.False(string.IsNullOrEmpty(explain.GetProperty("plan").GetString()));

        // not a member
        var outsider = await h.PostAsync("mallory", $"/api/projects/{project}/query", new { sql = "SELECT 1" });
        Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        Assert.Contains("member-not-on-permit", await outsider.Content.ReadAsStringAsync());

        // past the permit's end the very next query is refused, though the workspace was built
        h.Clock.Set(new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero));
        var late = await h.PostAsync("alice", $"/api/projects/{project}/query", new { sql = "SELECT count(*) FROM ER_PRS_F" });
        Assert.Equal(HttpStatusCode.Forbidden, late.StatusCode);
        Assert.Contains("outside-permit-window", await late.Content.ReadAsStringAsync());

        var audit = await h.Server.Hub.Hub.Audit.QueryAsync(new Hygie.Storage.Audit.AuditQuery(Limit: 10_000));
        Assert.Contains(audit, e => e.Entry.Action == "analysis.workspace.build");
        Assert.Contains(audit, e => e.Entry.Action == "analysis.query" && e.Entry.Outcome == "refused" && e.Entry.Details!["sql"].Contains("/etc/passwd"));
        Assert.Contains(audit, e => e.Entry.Action == "analysis.query" && e.Entry.Outcome == "success");
        Assert.Contains(audit, e => e.Entry.Action == "permit.check" && e.Entry.Outcome == "refused" && e.Entry.Reason!.Contains("outside-permit-window"));
    }

    [Fact]
    public async Task A_workspace_loads_what_the_first_query_reads_then_every_granted_column_once_another_is_named()
    {
        await using var h = await Harness.StartAsync();
        var project = await h.ApprovedProjectAsync();
        async Task<JsonElement> Query(string sql) =>
            await Expect(HttpStatusCode.OK, await h.PostAsync("alice", $"/api/projects/{project}/query", new { sql, pageSize = 100 }));
        async Task<List<string>> Builds() => (await h.Server.Hub.Hub.Audit.QueryAsync(new Hygie.Storage.Audit.AuditQuery(Limit: 10_000)))
            .Where(e => e.Entry.Action == "analysis.workspace.build").OrderBy(e => e.Seq).Select(e => e.Entry.Details!["columns"]).ToList();

        // the list of tables needs no column: it shows the grant all the same
        var tables = await Expect(HttpStatusCode.OK, await h.GetAsync("alice", $"/api/projects/{project}/workspace/tables"));
        Assert.Equal(["NUM_ENQ", "EXE_SOI_DTD", "PRS_NAT_REF", "PRS_PAI_MNT"],
            tables[0].GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        var first = await Query("SELECT PRS_NAT_REF, count(DISTINCT NUM_ENQ) FROM ER_PRS_F GROUP BY 1 ORDER BY 1");
        Assert.Equal(30, first.GetProperty("rows")[0][1].GetInt64());
        Assert.Equal(["0 of 3 granted, as the query reads", "1 of 3 granted, as the query reads"], await Builds());
        // the same columns: no build; an ungranted column: refused without a build
        await Query("SELECT count(*) FROM ER_PRS_F WHERE PRS_NAT_REF = 2");
        var forbidden = await h.PostAsync("alice", $"/api/projects/{project}/query", new { sql = "SELECT BEN_SEX_COD FROM ER_PRS_F" });
        Assert.Equal(HttpStatusCode.BadRequest, forbidden.StatusCode);
        Assert.Equal(2, (await Builds()).Count);

        // another granted column: rebuilt once with all of them, and the answer is the full table's
        var amounts = await Query("SELECT PRS_NAT_REF, sum(PRS_PAI_MNT) FROM ER_PRS_F GROUP BY 1 ORDER BY 1");
        Assert.Equal(30 * 10 + 29 * 30 / 2, amounts.GetProperty("rows")[0][1].GetDouble());
        var everything = await Query("SELECT * FROM ER_PRS_F ORDER BY NUM_ENQ LIMIT 1");
        Assert.Equal(4, everything.GetProperty("columns").GetArrayLength());
        Assert.Equal(["0 of 3 granted, as the query reads", "1 of 3 granted, as the query reads", "all granted"], await Builds());
    }

    [Fact]
    public async Task Release_is_measured_suppressed_reviewed_by_two_independent_reviewers_then_downloaded()
    {
        await using var h = await Harness.StartAsync();
        var project = await h.ApprovedProjectAsync();
        var created = await Expect(HttpStatusCode.Created, await h.PostAsync("alice", $"/api/projects/{project}/releases",
            new { name = "natures", description = "persons by nature", query = "SELECT NUM_ENQ, PRS_NAT_REF FROM ER_PRS_F", by = new[] { "PRS_NAT_REF" } }));
        var id = created.GetProperty("id").GetString()!;
        Assert.Equal("submitted", created.GetProperty("state").GetString());
        var report = created.GetProperty("report");
        Assert.Equal("review", report.GetProperty("verdict").GetString());
        Assert.Equal(1, report.GetProperty("primarySuppressed").GetInt32()); // 3 persons with nature 2
        Assert.Equal(1, report.GetProperty("secondarySuppressed").GetInt32()); // nature 1, else total − 30 gives it away
        var cells = report.GetProperty("cells").EnumerateArray().ToList();
        Assert.Contains(cells, c => c.GetProperty("key")[0].GetString() == "2" && c.GetProperty("status").GetString() == "primary" && c.GetProperty("persons").GetInt64() == 3);

        // a release can be requested only under a permit; a row-level "release" is refused
        var rowLevel = await h.PostAsync("alice", $"/api/projects/{project}/releases", new { name = "x", query = "SELECT NUM_ENQ FROM ER_PRS_F", by = new[] { "NUM_ENQ" } });
        Assert.Equal(HttpStatusCode.BadRequest, rowLevel.StatusCode);

        var early = await h.GetAsync("alice", $"/api/releases/{id}/download?format=csv");
        Assert.Equal(HttpStatusCode.Conflict, early.StatusCode);
        Assert.Contains("release-not-approved", await early.Content.ReadAsStringAsync());

        await Expect(HttpStatusCode.OK, await h.PostAsync("carol", $"/api/releases/{id}/review", new { vote = "approve" }));
        // bob is a reviewer too, but a member of the project: refused
        var byMember = await h.PostAsync("bob", $"/api/releases/{id}/review", new { vote = "approve" });
        Assert.Equal(HttpStatusCode.Forbidden, byMember.StatusCode);
        Assert.Contains("release-member-vote", await byMember.Content.ReadAsStringAsync());
        // and on his own request, the author rule
        var own = await Expect(HttpStatusCode.Created, await h.PostAsync("bob", $"/api/projects/{project}/releases",
            new { name = "bobs", query = "SELECT NUM_ENQ, PRS_NAT_REF FROM ER_PRS_F", by = new[] { "PRS_NAT_REF" } }));
        var byAuthor = await h.PostAsync("bob", $"/api/releases/{own.GetProperty("id").GetString()}/review", new { vote = "approve" });
        Assert.Equal(HttpStatusCode.Forbidden, byAuthor.StatusCode);
        Assert.Contains("release-author-vote", await byAuthor.Content.ReadAsStringAsync());
        var again = await h.PostAsync("carol", $"/api/releases/{id}/review", new { vote = "approve" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("release-already-voted", await again.Content.ReadAsStringAsync());
        var second = await Expect(HttpStatusCode.OK, await h.PostAsync("dave", $"/api/releases/{id}/review", new { vote = "approve", comment = "fine" }));
        Assert.Equal("released", second.GetProperty("state").GetString());

        var outsider = await h.GetAsync("mallory", $"/api/releases/{id}/download?format=csv");
        Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        var csv = await (await h.GetAsync("bob", $"/api/releases/{id}/download?format=csv")).Content.ReadAsStringAsync();
        var lines = csv.Trim().Split('\n');
        Assert.Equal("PRS_NAT_REF,persons", lines[0]);
        Assert.Contains("1,", lines);
        Assert.Contains("2,", lines);
        Assert.Contains("Total,33", lines);

        using var anonymous = h.Server.Client();
        var log = await anonymous.GetFromJsonAsync<JsonElement>("/public/releases");
        var entry = log.EnumerateArray().Single();
        Assert.Equal("natures", entry.GetProperty("name").GetString());
        Assert.Equal("dave", entry.GetProperty("releasedBy").GetString());

        var audit = await h.Server.Hub.Hub.Audit.QueryAsync(new Hygie.Storage.Audit.AuditQuery(Limit: 10_000));
        Assert.Contains(audit, e => e.Entry.Action == "release.download");
        Assert.Contains(audit, e => e.Entry.Action == "release.vote");
        Assert.Contains(audit, e => e.Entry.Action == "release.refused" && e.Entry.Reason!.StartsWith("release-not-approved"));

        // past the permit's end no release can be requested
        h.Clock.Set(new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero));
        var expired = await h.PostAsync("alice", $"/api/projects/{project}/releases", new { name = "late", query = "SELECT NUM_ENQ, PRS_NAT_REF FROM ER_PRS_F", by = new[] { "PRS_NAT_REF" } });
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Contains("outside-permit-window", await expired.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Cli_query_workspace_and_release_verbs()
    {
        await using var h = await Harness.StartAsync();
        var project = await h.ApprovedProjectAsync();
        async Task<(int Code, string Out, string Error)> Hygie(string user, params string[] args)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = await global::Hygie.Cli.HygieCli.RunAsync([.. args, "--server", h.Server.BaseAddress.ToString(), "--token", h.TokenOf(user)], stdout, stderr);
            return (code, stdout.ToString(), stderr.ToString());
        }

        var tables = await Hygie("alice", "workspace", "tables", project);
        Assert.True(tables.Code == 0, tables.Error);
        Assert.Contains("ER_PRS_F", tables.Out);
        var query = await Hygie("alice", "query", project, "SELECT PRS_NAT_REF, count(*) AS n FROM ER_PRS_F GROUP BY 1 ORDER BY 1", "--page-size", "1", "--json");
        Assert.True(query.Code == 0, query.Error);
        Assert.True(JsonDocument.Parse(query.Out).RootElement.GetProperty("hasMore").GetBoolean());
        var forbidden = await Hygie("alice", "query", project, "SELECT BEN_SEX_COD FROM ER_PRS_F");
        Assert.NotEqual(0, forbidden.Code);
        Assert.Contains("BEN_SEX_COD", forbidden.Error);

        var requested = await Hygie("alice", "release", "request", project, "--query", "SELECT NUM_ENQ, PRS_NAT_REF FROM ER_PRS_F", "--by", "PRS_NAT_REF", "--name", "natures", "--json");
        Assert.True(requested.Code == 0, requested.Error);
        var id = JsonDocument.Parse(requested.Out).RootElement.GetProperty("id").GetString()!;
        var file = Path.Combine(Path.GetTempPath(), $"{id}.csv");
        var early = await Hygie("bob", "release", "download", id, "--out", file);
        Assert.NotEqual(0, early.Code);
        Assert.Contains("release-not-approved", early.Error);
        Assert.Equal(0, (await Hygie("carol", "release", "review", id, "--approve", "--comment", "ok")).Code);
        Assert.Equal(0, (await Hygie("dave", "release", "review", id, "--approve")).Code);
        var list = await Hygie("alice", "release", "list", project);
        Assert.Contains("released", list.Out);
        var download = await Hygie("bob", "release", "download", id, "--format", "csv", "--out", file);
        Assert.True(download.Code == 0, download.Error);
        Assert.Contains("Total,33", await File.ReadAllTextAsync(file));
        File.Delete(file);
    }
}
