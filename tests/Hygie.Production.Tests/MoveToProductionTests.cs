using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Hygie.Core.Audit;
using Hygie.Core.Sovereignty;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Hygie.Storage.Operations;
using Hygie.Storage.Operations.Relocation;
using Hygie.Testing;

namespace Hygie.Production.Tests;

/// <summary>
/// The national platform's move: a hub that grew on one machine (SQLite, files, a keyring) with every module's data
/// in it moves to PostgreSQL, S3 and an HSM token — every module's rows copied SQLite → PostgreSQL, data keys
/// re-wrapped in the token — and serves the same answers there.
/// </summary>
public sealed class MoveToProductionTests
{
    [Fact]
    public async Task A_hub_with_every_module_s_data_moves_from_embedded_stores_to_postgresql_s3_and_a_token()
    {
        using var directory = new TempDirectory("hygie-move");
        var run = ProductionParts.NewRun();
        var site = new HubSite("OVHcloud", "FR", DeclaredLocation.EuOnly, [Qualifications.Hds, Qualifications.SecNumCloud]);
        var (hub, token) = await Hub.InitAsync(directory.Combine("hub"), new HubOpenOptions { Migrations = HubModules.Migrations, Site = site });
        string patientId, alice;
        long rows;
        await using (var server = await ServerSession.StartAsync(hub, token.Secret))
        {
            using var op = server.Operator();
            var producer = await server.AccountAsync("cnam", "producer");
            alice = await server.AccountAsync("alice", "researcher");
            var carol = await server.AccountAsync("carol", "reviewer");
            await ServerSession.Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/datasets", new { name = "snds-2019", kind = "snds", classification = "snds" }));
            await using (var file = File.OpenRead(TestData.PathOf("snds-synthetic", "ER_PRS_F.csv")))
                await ServerSession.Expect(HttpStatusCode.OK, await server.Client(producer).PostAsync("/api/datasets/snds-2019/deposits?table=ER_PRS_F", new StreamContent(file)));
            await ServerSession.Expect(HttpStatusCode.Created, await server.Client(alice).PostAsJsonAsync("/api/projects", new JsonObject
            {
                ["id"] = "moved-cohort", ["title"] = "A cohort that moves host", ["summary"] = "Claims of a cohort, queried before and after the hub moves.",
                ["purpose"] = "Count claims.", ["sponsor"] = "Inserm",
                ["legalBasis"] = new JsonObject { ["kind"] = "reference-methodology", ["methodology"] = "MR-004", ["declaration"] = "2224987" },
                ["datasets"] = new JsonArray { new JsonObject { ["dataset"] = "snds-2019", ["tables"] = new JsonArray { new JsonObject { ["table"] = "ER_PRS_F", ["columns"] = new JsonArray("person_id", "PRS_NAT_REF") } } } },
                ["period"] = new JsonObject { ["from"] = "1900-01-01", ["to"] = "2100-12-31" }, ["members"] = new JsonArray("alice"), ["requestedDurationMonths"] = 12,
            }));
            await ServerSession.Expect(HttpStatusCode.OK, await server.Client(alice).PostAsync("/api/projects/moved-cohort/submit", null));
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            await ServerSession.Expect(HttpStatusCode.OK, await server.Client(carol).PostAsJsonAsync("/api/reviews/moved-cohort/approve",
                new { from = today.ToString("yyyy-MM-dd"), to = today.AddMonths(3).ToString("yyyy-MM-dd") }));
            rows = await CountAsync(server, alice);

            await ServerSession.Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/fhir/tenants", new { name = "chu-lyon" }));
            var app = (await ServerSession.Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/tokens", new { tenant = "chu-lyon", scopes = new[] { "user/*.*" } })))
                .GetProperty("secret").GetString()!;
            var bundleFile = Directory.EnumerateFiles(TestData.PathOf("fhir-synthea-r4"), "*.json").OrderBy(f => new FileInfo(f).Length).First();
            var bundle = new ByteArrayContent(await File.ReadAllBytesAsync(bundleFile));
            bundle.Headers.ContentType = MediaTypeHeaderValue.Parse("application/fhir+json");
            await ServerSession.Expect(HttpStatusCode.OK, await server.Client(app).PostAsync("/fhir/chu-lyon/", bundle));
            patientId = (await ServerSession.Expect(HttpStatusCode.Created, await server.Client(app).PostAsync("/fhir/chu-lyon/Patient",
                new StringContent("""{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"2345678901234"}],"name":[{"family":"Moreau"}]}""",
                    Encoding.UTF8, "application/fhir+json")))).GetProperty("id").GetString()!;
        }

        // The production locations, declared; the move, run as 'hygie migrate' would (server stopped for the switch).
        await hub.Locations.DeclareAsync(new DeclaredLocation("ovh-objects", LocationKinds.Objects, "OVHcloud", "s3", "FR", DeclaredLocation.EuOnly,
            site.Qualifications!, ProductionParts.S3Settings($"moved-{run}"), null, default), "operator");
        await hub.Locations.DeclareAsync(new DeclaredLocation("ovh-metadata", LocationKinds.Metadata, "OVHcloud", "postgresql", "FR", DeclaredLocation.EuOnly,
            site.Qualifications!, ProductionParts.PostgresSettings(await ProductionParts.NewDatabaseAsync(run)), null, default), "operator");
        await hub.Locations.DeclareAsync(new DeclaredLocation("ovh-hsm", LocationKinds.Vault, "OVHcloud", "pkcs11", "FR", DeclaredLocation.EuOnly,
            site.Qualifications!, ProductionParts.Pkcs11Settings($"moved-{run}", secondToken: true), null, default), "operator");
        var auditKey = hub.Vault.SigningPublicKey;
        var options = new HubOpenOptions { Migrations = HubModules.Migrations };
        var moved = await HubMigration.RunAsync(hub, new MigrationRequest { ObjectsTo = "ovh-objects", MetadataTo = "ovh-metadata", Vault = "ovh-hsm", OpenOptions = options });
        Assert.True(moved.Switched);
        await hub.DisposeAsync();

        await using var there = await Hub.OpenAsync(directory.Combine("hub"), options);
        Assert.Equal(("postgresql", "s3", "pkcs11"), (there.Metadata.Provider, there.Objects.Provider, there.Vault.Kind));
        Assert.Equal(auditKey, there.Vault.SigningPublicKey);
        var finalized = await HubMigration.FinalizeAsync(there);
        Assert.Equal(["local-objects", "local-metadata", "local-vault"], finalized.Erased);

        // The same answers from the new stores, through the server.
        await using (var server = await ServerSession.StartAsync(there, token.Secret))
        {
            Assert.Equal(rows, await CountAsync(server, alice));
            var app = (await ServerSession.Expect(HttpStatusCode.Created, await server.Operator().PostAsJsonAsync("/api/tokens", new { tenant = "chu-lyon", scopes = new[] { "user/*.*" } })))
                .GetProperty("secret").GetString()!;
            using var fhir = server.Client(app);
            var found = await ServerSession.Expect(HttpStatusCode.OK, await fhir.GetAsync("/fhir/chu-lyon/Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|2345678901234"));
            Assert.Equal(1, found.GetProperty("total").GetInt32());
            Assert.Equal("Moreau", (await ServerSession.Expect(HttpStatusCode.OK, await fhir.GetAsync($"/fhir/chu-lyon/Patient/{patientId}"))).GetProperty("name")[0].GetProperty("family").GetString());
            Assert.True((await ServerSession.Expect(HttpStatusCode.OK, await fhir.GetAsync("/fhir/chu-lyon/Encounter?_count=1"))).GetProperty("total").GetInt32() > 0);
            // A new resource after the move: identity sequences continue past the copied rows.
            await ServerSession.Expect(HttpStatusCode.Created, await fhir.PostAsync("/fhir/chu-lyon/Patient",
                new StringContent("""{"resourceType":"Patient","name":[{"family":"Nouveau"}]}""", Encoding.UTF8, "application/fhir+json")));
        }
        var verified = await HubVerifier.RunAsync(there);
        Assert.True(verified.Intact, verified.Failure);
        using var export = new MemoryStream();
        await there.Audit.ExportAsync(export);
        Assert.True(AuditExportVerifier.Verify(new MemoryStream(export.ToArray()), auditKey).Intact);
        ProductionParts.DestroyTokenKeys([there.Config.Vault]);
    }

    private static async Task<long> CountAsync(ServerSession server, string token)
    {
        var page = await ServerSession.Expect(HttpStatusCode.OK, await server.Client(token).PostAsJsonAsync("/api/projects/moved-cohort/query",
            new { sql = "SELECT count(*) FROM ER_PRS_F" }));
        return page.GetProperty("rows")[0][0].GetInt64();
    }
}
