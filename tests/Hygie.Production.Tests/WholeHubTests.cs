using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hygie.Core.Audit;
using Hygie.Core.Sovereignty;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Hygie.Storage.Operations;
using Hygie.Testing;

namespace Hygie.Production.Tests;

/// <summary>
/// The whole hub — every module's schema and SQL — on the production parts: PostgreSQL metadata, S3 objects, keys in
/// a PKCS#11 token, driven through the real server as its users would: accounts and tokens, an SNDS dataset and its
/// deposits, a project applied for and approved, a workspace query, a FHIR tenant with resources and searches, and an
/// audit export verified offline.
/// </summary>
public sealed class WholeHubTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("hygie-prod");
    private Hub _hub = null!;
    private ServerSession _server = null!;

    public async Task InitializeAsync()
    {
        var stores = await ProductionParts.HubStoresAsync(ProductionParts.NewRun());
        var (hub, token) = await Hub.InitAsync(_directory.Combine("hub"), new HubOpenOptions
        {
            Stores = stores, Migrations = HubModules.Migrations,
            Site = new HubSite("OVHcloud", "FR", DeclaredLocation.EuOnly, [Qualifications.Hds, Qualifications.SecNumCloud]),
        });
        _hub = hub;
        _server = await ServerSession.StartAsync(hub, token.Secret);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _hub.DisposeAsync();
        ProductionParts.DestroyTokenKeys([_hub.Config.Vault]);
        _directory.Dispose();
    }

    private HttpClient Client(string? token) => _server.Client(token);

    private static Task<JsonElement> Expect(HttpStatusCode expected, HttpResponseMessage response) => ServerSession.Expect(expected, response);

    private Task<string> AccountAsync(string name, string role, string? country = "FR") => _server.AccountAsync(name, role, country);

    private static StringContent Fhir(string json) => new(json, Encoding.UTF8, "application/fhir+json");

    private static JsonObject Application(IEnumerable<string> columns, params string[] members) => new()
    {
        ["id"] = "prod-cohort",
        ["title"] = "A cohort on the production parts",
        ["summary"] = "Adults followed through their claims, to check the hub end to end on its production stores.",
        ["purpose"] = "Count the claims of the cohort by nature of care.",
        ["sponsor"] = "Inserm U1018",
        ["legalBasis"] = new JsonObject { ["kind"] = "reference-methodology", ["methodology"] = "MR-004", ["declaration"] = "2224987" },
        ["datasets"] = new JsonArray
        {
            new JsonObject
            {
                ["dataset"] = "snds-2019",
                ["tables"] = new JsonArray { new JsonObject { ["table"] = "ER_PRS_F", ["columns"] = new JsonArray([.. columns.Select(c => JsonValue.Create(c))]) } },
            },
        },
        ["period"] = new JsonObject { ["from"] = "1900-01-01", ["to"] = "2100-12-31" },
        ["members"] = new JsonArray([.. members.Select(m => JsonValue.Create(m))]),
        ["requestedDurationMonths"] = 12,
    };

    /// <summary>The research path: accounts, an SNDS dataset and deposits, a project through review, a workspace, an output release, an opt-out, closure; then a backup restored onto other production stores.</summary>
    [Fact]
    public async Task Research_governance_deposit_analysis_and_airlock_run_on_postgresql_s3_and_pkcs11()
    {
        Assert.Equal(("postgresql", "s3", "pkcs11"), (_hub.Metadata.Provider, _hub.Objects.Provider, _hub.Vault.Kind));
        var producer = await AccountAsync("cnam", "producer");
        var alice = await AccountAsync("alice", "researcher");
        var carol = await AccountAsync("carol", "reviewer");
        var dave = await AccountAsync("dave", "reviewer");
        var auditor = await AccountAsync("ana", "auditor", country: "CH");
        using var op = _server.Operator();

        // ---- an SNDS dataset and its deposits (one refused, one quarantined) ----
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/datasets", new { name = "snds-2019", kind = "snds", classification = "snds", description = "synthetic" }));
        using var cnam = Client(producer);
        foreach (var table in new[] { "IR_BEN_R", "ER_PRS_F" })
        {
            await using var file = File.OpenRead(TestData.PathOf("snds-synthetic", table + ".csv"));
            var report = await Expect(HttpStatusCode.OK, await cnam.PostAsync($"/api/datasets/snds-2019/deposits?table={table}", new StreamContent(file)));
            Assert.Equal("stored", report.GetProperty("status").GetString());
            Assert.True(report.GetProperty("rowsStored").GetInt64() > 0);
        }
        var broken = (await File.ReadAllLinesAsync(TestData.PathOf("snds-synthetic", "ER_PRS_F.csv"))).ToArray();
        var header = broken[0].Split(';');
        var fields = broken[3].Split(';');
        fields[Array.IndexOf(header, "PRS_NAT_REF") is var n and >= 0 ? n : 2] = "notanumber";
        broken[3] = string.Join(';', fields);
        var refused = await cnam.PostAsync("/api/datasets/snds-2019/deposits?table=ER_PRS_F", new StringContent(string.Join('\n', broken) + "\n"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var quarantined = await Expect(HttpStatusCode.OK, await cnam.PostAsync("/api/datasets/snds-2019/deposits?table=ER_PRS_F&onError=quarantine",
            new StringContent(string.Join('\n', broken) + "\n")));
        Assert.Equal(1, quarantined.GetProperty("rowsRejected").GetInt64());
        var dataset = await Expect(HttpStatusCode.OK, await op.GetAsync("/api/datasets/snds-2019"));
        var prs = dataset.GetProperty("dataset").GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "ER_PRS_F");
        var columns = prs.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).Where(c => c != "person_id").Take(3).ToList();
        Assert.Contains("PRS_NAT_REF", prs.GetProperty("columns").GetRawText());
        Assert.Equal(4, dataset.GetProperty("deposits").GetArrayLength());
        Assert.Contains("snds-2019", (await Expect(HttpStatusCode.OK, await Client(null).GetAsync("/public/datasets"))).GetRawText());

        // ---- a project: applied, changes requested, amended, submitted, approved ----
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        using var researcher = Client(alice);
        using var reviewer = Client(carol);
        await Expect(HttpStatusCode.Created, await researcher.PostAsJsonAsync("/api/projects", Application(columns.Prepend("person_id"), "alice")));
        await Expect(HttpStatusCode.OK, await researcher.PostAsync("/api/projects/prod-cohort/submit", null));
        Assert.Contains("prod-cohort", (await Expect(HttpStatusCode.OK, await reviewer.GetAsync("/api/reviews"))).GetRawText());
        await Expect(HttpStatusCode.OK, await reviewer.PostAsJsonAsync("/api/reviews/prod-cohort/request-changes", new { reason = "name the nature of care" }));
        await Expect(HttpStatusCode.OK, await researcher.PostAsJsonAsync("/api/projects/prod-cohort/amend",
            Application(columns.Prepend("person_id").Append("PRS_NAT_REF").Distinct(), "alice")));
        await Expect(HttpStatusCode.OK, await researcher.PostAsync("/api/projects/prod-cohort/submit", null));
        await Expect(HttpStatusCode.OK, await reviewer.PostAsJsonAsync("/api/reviews/prod-cohort/approve",
            new { from = today.ToString("yyyy-MM-dd"), to = today.AddMonths(6).ToString("yyyy-MM-dd") }));
        Assert.Contains("alice", (await Expect(HttpStatusCode.OK, await researcher.GetAsync("/api/projects/prod-cohort/permit"))).GetRawText());
        Assert.Contains("approved", (await Expect(HttpStatusCode.OK, await researcher.GetAsync("/api/projects?status=approved"))).GetRawText());
        await Expect(HttpStatusCode.OK, await op.GetAsync("/api/projects?overdue=true"));

        // ---- the workspace: tables, a query, an output release reviewed twice and downloaded ----
        var tables = await Expect(HttpStatusCode.OK, await researcher.GetAsync("/api/projects/prod-cohort/workspace/tables"));
        Assert.Equal("ER_PRS_F", tables.EnumerateArray().Single().GetProperty("name").GetString());
        var page = await Expect(HttpStatusCode.OK, await researcher.PostAsJsonAsync("/api/projects/prod-cohort/query",
            new { sql = "SELECT PRS_NAT_REF, count(DISTINCT NUM_ENQ) AS persons FROM ER_PRS_F GROUP BY 1 ORDER BY 1" }));
        Assert.True(page.GetProperty("rows").GetArrayLength() > 0);
        var release = await Expect(HttpStatusCode.Created, await researcher.PostAsJsonAsync("/api/projects/prod-cohort/releases",
            new { name = "natures", query = "SELECT NUM_ENQ, PRS_NAT_REF FROM ER_PRS_F", by = new[] { "PRS_NAT_REF" } }));
        var releaseId = release.GetProperty("id").GetString()!;
        await Expect(HttpStatusCode.OK, await reviewer.PostAsJsonAsync($"/api/releases/{releaseId}/review", new { vote = "approve" }));
        var released = await Expect(HttpStatusCode.OK, await Client(dave).PostAsJsonAsync($"/api/releases/{releaseId}/review", new { vote = "approve", comment = "fine" }));
        Assert.Equal("released", released.GetProperty("state").GetString());
        var csv = await (await researcher.GetAsync($"/api/releases/{releaseId}/download?format=csv")).Content.ReadAsStringAsync();
        Assert.StartsWith("PRS_NAT_REF,persons", csv);
        Assert.Contains("natures", (await Expect(HttpStatusCode.OK, await Client(null).GetAsync("/public/releases"))).GetRawText());

        // ---- an opt-out, a revoked token, the access review, the project closed (its key destroyed) ----
        await Expect(HttpStatusCode.OK, await op.PostAsJsonAsync("/api/optouts", new { nir = "285047512345607", reason = "letter" }));
        Assert.Equal(1, (await Expect(HttpStatusCode.OK, await op.GetAsync("/api/optouts/count"))).GetProperty("count").GetInt64());
        var spare = await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/tokens", new { user = "alice", expiresIn = "1d" }));
        await Expect(HttpStatusCode.OK, await op.PostAsJsonAsync($"/api/tokens/{spare.GetProperty("token").GetProperty("id").GetString()}/revoke", new { reason = "not needed" }));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Client(spare.GetProperty("secret").GetString()).GetAsync("/api/projects")).StatusCode);
        using var audit = Client(auditor);
        Assert.Contains("prod-cohort", (await Expect(HttpStatusCode.OK, await audit.GetAsync("/api/access/review"))).GetRawText());
        await Expect(HttpStatusCode.OK, await op.PostAsJsonAsync("/api/projects/prod-cohort/close", new { reason = "done" }));
        Assert.Equal(HttpStatusCode.Forbidden, (await researcher.PostAsJsonAsync("/api/projects/prod-cohort/query", new { sql = "SELECT 1" })).StatusCode);
        await Expect(HttpStatusCode.OK, await researcher.PostAsJsonAsync("/api/projects/prod-cohort/publication", new { reference = "10.1000/prod-cohort" }));
        Assert.True((await Expect(HttpStatusCode.OK, await audit.GetAsync("/api/audit/events?action=dataset.deposit"))).GetArrayLength() >= 3);
        await Expect(HttpStatusCode.OK, await audit.GetAsync("/api/audit/operator-actions"));

        // ---- the audit export verifies offline; the auditor's Swiss organisation shows in the transparency report ----
        await AssertAuditVerifiesAsync(_hub);
        var transparency = await Expect(HttpStatusCode.OK, await Client(null).GetAsync("/public/transparency"));
        Assert.True(transparency.GetProperty("accessesFromOutsideEea").GetProperty("count").GetInt64() >= 2);
        var verified = await HubVerifier.RunAsync(_hub);
        Assert.True(verified.Intact, verified.Failure);

        // ---- a backup to S3, restored onto another database and prefix with every module's schema, verified ----
        var run = ProductionParts.NewRun();
        await _hub.Locations.DeclareAsync(new DeclaredLocation("s3-backup", LocationKinds.Backup, "OVHcloud", "s3", "FR", DeclaredLocation.EuOnly,
            [Qualifications.Hds, Qualifications.SecNumCloud], ProductionParts.S3Settings($"backup-{run}"), null, default), "test");
        var backup = await Storage.Operations.Backup.HubBackup.RunAsync(_hub, "s3-backup");
        Assert.True(backup.Stats.Objects >= 3);
        var restored = _directory.Combine("restored");
        await Storage.Operations.Backup.HubRestore.RunAsync(new Storage.Operations.Backup.RestoreRequest
        {
            Source = StoreFactory.OpenObjects(_hub.DataDirectory, (await _hub.Locations.GetAsync("s3-backup")).ToStoreConfig()), SourceName = "s3-backup",
            DataDirectory = restored, Vault = _hub.Config.Vault, Migrations = HubModules.Migrations,
            Stores = new StoreChoice(
                new StoreConfig { Provider = "postgresql", Settings = ProductionParts.PostgresSettings(await ProductionParts.NewDatabaseAsync(run)) },
                new StoreConfig { Provider = "s3", Settings = ProductionParts.S3Settings($"restored-{run}") }),
        });
        await using var copy = await Hub.OpenAsync(restored, new HubOpenOptions { Migrations = HubModules.Migrations });
        var again = await HubVerifier.RunAsync(copy);
        Assert.True(again.Intact, again.Failure);
        Assert.Equal(verified.Objects, again.Objects);
        await using (var c = await copy.Metadata.OpenConnectionAsync())
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT (SELECT COUNT(*) FROM ing_parts) + (SELECT COUNT(*) FROM gov_permits) + (SELECT COUNT(*) FROM gov_optouts)";
            Assert.True(Convert.ToInt64(await cmd.ExecuteScalarAsync()) >= 4);
        }
    }

    /// <summary>The care path: a FHIR tenant, a transaction bundle, CRUD and history, searches, an alert rule that fires, a subscription, a bulk export.</summary>
    [Fact]
    public async Task Fhir_store_alerts_subscriptions_and_bulk_export_run_on_postgresql_s3_and_pkcs11()
    {
        using var op = _server.Operator();
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/fhir/tenants", new { name = "chu-lyon", nameSearch = true }));
        var app = (await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/tokens", new { tenant = "chu-lyon", scopes = new[] { "user/*.*" } })))
            .GetProperty("secret").GetString()!;
        await Expect(HttpStatusCode.Created, await op.PostAsync("/api/fhir/tenants/chu-lyon/alert-rules", new StringContent(
            """{"id":"tachycardia","name":"Heart rate above 120","code":{"system":"http://loinc.org","code":"8867-4"},"condition":{"type":"above","threshold":120,"unit":"/min"},"severity":"high"}""",
            Encoding.UTF8, "application/json")));
        using var fhir = Client(app);

        var bundleFile = Directory.EnumerateFiles(TestData.PathOf("fhir-synthea-r4"), "*.json").OrderBy(f => new FileInfo(f).Length).First();
        var bundle = new ByteArrayContent(await File.ReadAllBytesAsync(bundleFile));
        bundle.Headers.ContentType = MediaTypeHeaderValue.Parse("application/fhir+json");
        Assert.Equal("transaction-response", (await Expect(HttpStatusCode.OK, await fhir.PostAsync("/fhir/chu-lyon/", bundle))).GetProperty("type").GetString());

        var created = await Expect(HttpStatusCode.Created, await fhir.PostAsync("/fhir/chu-lyon/Patient", Fhir("""
            {"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"1234567890123"}],
             "name":[{"family":"Martin","given":["Jeanne"]}],"gender":"female","birthDate":"1961-04-12"}
            """)));
        var patientId = created.GetProperty("id").GetString()!;
        var updated = await Expect(HttpStatusCode.OK, await fhir.PutAsync($"/fhir/chu-lyon/Patient/{patientId}", Fhir($$"""
            {"resourceType":"Patient","id":"{{patientId}}","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"1234567890123"}],
             "name":[{"family":"Martin-Durand","given":["Jeanne"]}],"gender":"female","birthDate":"1961-04-12","active":true}
            """)));
        Assert.Equal("2", updated.GetProperty("meta").GetProperty("versionId").GetString());
        Assert.Equal(2, (await Expect(HttpStatusCode.OK, await fhir.GetAsync($"/fhir/chu-lyon/Patient/{patientId}/_history"))).GetProperty("total").GetInt32());
        Assert.Equal("Martin", (await Expect(HttpStatusCode.OK, await fhir.GetAsync($"/fhir/chu-lyon/Patient/{patientId}/_history/1")))
            .GetProperty("name")[0].GetProperty("family").GetString());

        string Observation(decimal value) => $$$"""
            {"resourceType":"Observation","status":"final","subject":{"reference":"Patient/{{{patientId}}}"},
             "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"effectiveDateTime":"2026-01-05T08:00:00Z",
             "valueQuantity":{"value":{{{value}}},"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}
            """;
        var normal = (await Expect(HttpStatusCode.Created, await fhir.PostAsync("/fhir/chu-lyon/Observation", Fhir(Observation(72))))).GetProperty("id").GetString()!;
        await Expect(HttpStatusCode.Created, await fhir.PostAsync("/fhir/chu-lyon/Observation", Fhir(Observation(134))));
        var spare = (await Expect(HttpStatusCode.Created, await fhir.PostAsync("/fhir/chu-lyon/Observation", Fhir(Observation(90))))).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.NoContent, (await fhir.DeleteAsync($"/fhir/chu-lyon/Observation/{spare}")).StatusCode);

        async Task<int> TotalAsync(string query) => (await Expect(HttpStatusCode.OK, await fhir.GetAsync($"/fhir/chu-lyon/{query}"))).GetProperty("total").GetInt32();
        Assert.Equal(1, await TotalAsync("Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|1234567890123"));
        Assert.Equal(1, await TotalAsync("Patient?name=martin-dur"));
        Assert.Equal(1, await TotalAsync("Organization?name:contains=baptist"));
        Assert.Equal(1, await TotalAsync("Patient?family=Martin-Durand&gender=female&birthdate=lt1970"));
        Assert.Equal(2, await TotalAsync($"Observation?subject=Patient/{patientId}&code=http://loinc.org|8867-4&date=ge2026-01-01"));
        Assert.Equal(1, await TotalAsync($"Observation?subject=Patient/{patientId}&value-quantity=gt100"));
        Assert.True(await TotalAsync("Encounter?_count=2") > 2);
        var included = await Expect(HttpStatusCode.OK, await fhir.GetAsync($"/fhir/chu-lyon/Observation?_id={normal}&_include=Observation:subject"));
        Assert.Contains(included.GetProperty("entry").EnumerateArray(), e => e.GetProperty("resource").GetProperty("resourceType").GetString() == "Patient");
        var sorted = await Expect(HttpStatusCode.OK, await fhir.GetAsync("/fhir/chu-lyon/Encounter?_sort=-date&_count=2"));
        var next = sorted.GetProperty("link").EnumerateArray().Single(l => l.GetProperty("relation").GetString() == "next").GetProperty("url").GetString()!;
        Assert.Equal(2, (await Expect(HttpStatusCode.OK, await fhir.GetAsync(next))).GetProperty("entry").GetArrayLength());

        // The rule fired on the reading above 120: a DetectedIssue of the tenant (written by the worker).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await TotalAsync($"DetectedIssue?patient=Patient/{patientId}") == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the alert rule raised no DetectedIssue");
            await Task.Delay(100);
        }
        var subscription = await Expect(HttpStatusCode.Created, await fhir.PostAsync("/fhir/chu-lyon/Subscription", Fhir("""
            {"resourceType":"Subscription","status":"requested","reason":"alerts","criteria":"DetectedIssue",
             "channel":{"type":"rest-hook","endpoint":"http://127.0.0.1:9/hook","payload":"application/fhir+json"}}
            """)));
        Assert.NotNull(subscription.GetProperty("id").GetString());

        // A bulk export, sealed in S3 while it waits to be fetched.
        using (var kickOff = new HttpRequestMessage(HttpMethod.Get, "/fhir/chu-lyon/$export?_type=Patient,Observation"))
        {
            kickOff.Headers.Add("Prefer", "respond-async");
            kickOff.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
            var accepted = await fhir.SendAsync(kickOff);
            Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
            var status = accepted.Content.Headers.ContentLocation ?? new Uri(accepted.Headers.GetValues("Content-Location").Single());
            JsonElement manifest;
            deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                var poll = await fhir.GetAsync(status);
                if (poll.StatusCode == HttpStatusCode.OK) { manifest = JsonDocument.Parse(await poll.Content.ReadAsStringAsync()).RootElement.Clone(); break; }
                Assert.Equal(HttpStatusCode.Accepted, poll.StatusCode);
                Assert.True(DateTime.UtcNow < deadline, "the export did not finish");
                await Task.Delay(100);
            }
            var files = manifest.GetProperty("output").EnumerateArray().ToList();
            Assert.Equal(["Observation", "Patient"], files.Select(f => f.GetProperty("type").GetString()).Order());
            var lines = await (await fhir.GetAsync(files.First(f => f.GetProperty("type").GetString() == "Patient").GetProperty("url").GetString())).Content.ReadAsStringAsync();
            Assert.Contains("Martin-Durand", lines);
        }

        await AssertAuditVerifiesAsync(_hub);
        var verified = await HubVerifier.RunAsync(_hub);
        Assert.True(verified.Intact, verified.Failure);
    }

    private static async Task AssertAuditVerifiesAsync(Hub hub)
    {
        using var export = new MemoryStream();
        await hub.Audit.ExportAsync(export);
        var verified = AuditExportVerifier.Verify(new MemoryStream(export.ToArray()), hub.Vault.SigningPublicKey);
        Assert.True(verified.Intact, verified.Problem);
        Assert.True(verified.Events > 10);
    }
}
