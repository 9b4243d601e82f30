using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hygie.Core.Identity;
using Hygie.Ingest.Deposit;
using Hygie.Testing;

namespace Hygie.Ingest.Tests;

/// <summary>
/// FHIR tables in an analysis workspace, end to end through the server: deposit SNDS and FHIR, apply, approve, query.
/// The same person deposited as an SNDS beneficiary (BEN_NIR_PSA) and as a FHIR Patient (identifier system
/// urn:hygie:snds:ben-nir-psa) has one person_id, so the project's workspace joins them.
/// </summary>
public class FhirAnalysisTests
{
    private static async Task<JsonElement> Expect(HttpStatusCode expected, HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected) Assert.Fail($"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>BEN_NIR_PSA of the first beneficiaries of the synthetic IR_BEN_R, read from the file itself.</summary>
    private static List<string> Beneficiaries(int count)
    {
        var lines = File.ReadAllLines(Path.Combine(TestData.Synthetic, "IR_BEN_R.csv"));
        var column = Array.IndexOf(lines[0].Split(';'), "BEN_NIR_PSA");
        return lines.Skip(1).Select(l => l.Split(';')[column]).Distinct().Take(count).ToList();
    }

    [Fact]
    public async Task A_project_queries_fhir_tables_and_joins_them_to_the_same_persons_snds_claims()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));
        await using var server = await RunningServer.StartAsync(clock);
        var op = server.Operator();
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/datasets", new { name = "snds-2019", kind = "snds", classification = "snds" }));
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/datasets", new { name = "clinical", kind = "fhir", classification = "clinical" }));
        var tokens = new Dictionary<string, string>();
        foreach (var (name, roles) in new[] { ("alice", new[] { "researcher" }), ("carol", new[] { "reviewer" }), ("chu", new[] { "producer" }), ("cnam", new[] { "producer" }) })
        {
            await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/users", new { name, roles, organisation = "Inserm", displayName = name, publicConsent = false }));
            tokens[name] = (await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/tokens", new { user = name, expiresIn = "300d" }))).GetProperty("secret").GetString()!;
        }

        await Expect(HttpStatusCode.OK, await server.Client(tokens["cnam"]).PostAsync("/api/datasets/snds-2019/deposits?table=IR_BEN_R",
            new StreamContent(File.OpenRead(Path.Combine(TestData.Synthetic, "IR_BEN_R.csv")))));

        // three beneficiaries seen at a hospital, with an observation each (one in 2018, two in 2023: outside the period)
        var psa = Beneficiaries(3);
        var ndjson = new StringBuilder();
        for (var i = 0; i < psa.Count; i++)
        {
            ndjson.AppendLine(FhirDepositServerTests.Patient($"h{i}", ("urn:hygie:snds:ben-nir-psa", psa[i]), ("https://chu/ipp", $"IPP{i}")));
            ndjson.AppendLine(FhirDepositServerTests.Observation($"o{i}", $"h{i}", i == 0 ? "2018-05-04T08:00:00+02:00" : "2023-01-10T08:00:00+01:00", 60 + i));
        }
        var files = FhirFiles.SyntheaBundles.Select(f => (Path.GetFileName(f), (Stream)File.OpenRead(f)))
            .Append(("hospital.ndjson", new MemoryStream(Encoding.UTF8.GetBytes(ndjson.ToString())))).ToList();
        var deposited = await Expect(HttpStatusCode.OK, await server.Client(tokens["chu"]).PostAsync("/api/datasets/clinical/deposits", FhirFiles.Multipart(files)));
        Assert.Equal(33, deposited.GetProperty("persons").GetInt32());
        // the catalogue marks the columns that hold resource pseudonyms, which workspaces re-key per project
        var catalogue = await Expect(HttpStatusCode.OK, await op.GetAsync("/api/datasets/clinical"));
        var observationColumns = catalogue.GetProperty("dataset").GetProperty("tables").EnumerateArray()
            .Single(t => t.GetProperty("name").GetString() == "observation").GetProperty("columns").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("isResourceKey").GetBoolean());
        Assert.True(observationColumns["id"] && observationColumns["encounter_id"]);
        Assert.False(observationColumns["value_quantity"] || observationColumns["code"]);

        var application = new JsonObject
        {
            ["id"] = "cardio-2026",
            ["title"] = "Heart rate and claims of hospital patients",
            ["summary"] = "Hospital observations of patients followed in their claims.",
            ["purpose"] = "Describe the heart rate of hospital patients and their reimbursed care.",
            ["sponsor"] = "Inserm U1018",
            ["legalBasis"] = new JsonObject { ["kind"] = "reference-methodology", ["methodology"] = "MR-004", ["declaration"] = "2224987" },
            ["datasets"] = new JsonArray
            {
                new JsonObject
                {
                    ["dataset"] = "clinical",
                    ["tables"] = new JsonArray
                    {
                        new JsonObject { ["table"] = "patient", ["columns"] = new JsonArray("person_id", "gender", "birth_date") },
                        new JsonObject { ["table"] = "observation", ["columns"] = new JsonArray("person_id", "code", "value_quantity", "effective_date") },
                    },
                },
                new JsonObject
                {
                    ["dataset"] = "snds-2019",
                    ["tables"] = new JsonArray { new JsonObject { ["table"] = "IR_BEN_R", ["columns"] = new JsonArray("person_id", "BEN_SEX_COD") } },
                },
            },
            ["period"] = new JsonObject { ["from"] = "2010-01-01", ["to"] = "2020-12-31" },
            ["members"] = new JsonArray("alice"),
            ["requestedDurationMonths"] = 12,
        };
        using var alice = server.Client(tokens["alice"]);
        await Expect(HttpStatusCode.Created, await alice.PostAsJsonAsync("/api/projects", application));
        await Expect(HttpStatusCode.OK, await alice.PostAsync("/api/projects/cardio-2026/submit", null));
        await Expect(HttpStatusCode.OK, await server.Client(tokens["carol"]).PostAsJsonAsync("/api/reviews/cardio-2026/approve", new { from = "2026-06-01", to = "2026-12-31" }));

        async Task<JsonElement> Query(string sql) =>
            await Expect(HttpStatusCode.OK, await alice.PostAsJsonAsync("/api/projects/cardio-2026/query", new { sql, page = 0, pageSize = 1000 }));

        Assert.Equal(33, (await Query("SELECT count(*) FROM patient")).GetProperty("rows")[0][0].GetInt64());
        // observations of the permit's data period only, counted here from the files
        var inPeriod = FhirFiles.SyntheaBundles.SelectMany(FhirFiles.Resources)
            .Where(r => r.GetProperty("resourceType").GetString() == "Observation")
            .Select(r => DateOnly.Parse(r.GetProperty("effectiveDateTime").GetString()![..10]))
            .Count(d => d >= new DateOnly(2010, 1, 1) && d <= new DateOnly(2020, 12, 31)) + 1;
        Assert.Equal(inPeriod, (await Query("SELECT count(*) FROM observation")).GetProperty("rows")[0][0].GetInt64());
        // every observation belongs to a patient of the workspace
        Assert.Equal(0, (await Query("SELECT count(*) FROM observation o LEFT JOIN patient p ON o.person_id = p.person_id WHERE p.person_id IS NULL"))
            .GetProperty("rows")[0][0].GetInt64());
        // the three beneficiaries are the same persons in the claims and at the hospital
        var linked = await Query("SELECT count(DISTINCT p.person_id) FROM patient p JOIN IR_BEN_R b ON p.person_id = b.NUM_ENQ");
        Assert.Equal(3, linked.GetProperty("rows")[0][0].GetInt64());
        var heart = await Query("SELECT o.value_quantity FROM observation o JOIN IR_BEN_R b ON o.person_id = b.NUM_ENQ WHERE o.code = '8867-4' ORDER BY 1");
        Assert.Equal(60.0, Assert.Single(heart.GetProperty("rows").EnumerateArray())[0].GetDouble());
        // columns the permit does not grant are not there; birth dates are months
        var refused = await alice.PostAsJsonAsync("/api/projects/cardio-2026/query", new { sql = "SELECT marital_status FROM patient" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var days = await Query("SELECT DISTINCT day(birth_date) FROM patient");
        Assert.Equal(1, Assert.Single(days.GetProperty("rows").EnumerateArray())[0].GetInt64());
    }
}
