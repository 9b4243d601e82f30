using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hygie.Core.Audit;
using Hygie.Storage.Audit;
using Hygie.Core.Identity;
using Hygie.Storage.Locations;
using Hygie.Testing;

namespace Hygie.Ingest.Tests;

/// <summary>
/// One person's identifiers seen together by a deposit (an IR_BEN_R row: BEN_NIR_PSA with BEN_IDT_ANO and BEN_NIR_ANO; a
/// FHIR Patient: its SNDS pseudonym with its INS-NIR) stay linked in the hub, so that a table deposited under another
/// of them (KI_CCI_R, keyed by BEN_IDT_ANO) joins the beneficiary in a workspace, and an objection recorded by NIR
/// removes every row of that person, whatever identifier it was deposited under.
/// </summary>
public class PersonLinkTests
{
    private const string Nir = "285047512345607";

    private static async Task<JsonElement> Expect(HttpStatusCode expected, HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected) Assert.Fail($"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    private static List<Dictionary<string, string>> Rows(string table)
    {
        var lines = File.ReadAllLines(Path.Combine(TestData.Synthetic, $"{table}.csv"));
        var header = lines[0].Split(';');
        return lines.Skip(1).Select(l => header.Zip(l.Split(';')).ToDictionary(p => p.First, p => p.Second)).ToList();
    }

    private static JsonObject Application(string id, JsonObject legalBasis, JsonArray members, params (string Table, string[] Columns)[] tables) => new()
    {
        ["id"] = id,
        ["title"] = $"Beneficiaries and causes of death ({id})",
        ["summary"] = "Causes of death of beneficiaries, with their hospital records.",
        ["purpose"] = "Describe the causes of death of beneficiaries followed at a hospital.",
        ["sponsor"] = "Inserm U1018",
        ["legalBasis"] = legalBasis,
        ["datasets"] = new JsonArray(
            new JsonObject
            {
                ["dataset"] = "snds-2019",
                ["tables"] = new JsonArray([.. tables.Where(t => t.Table != "patient")
                    .Select(t => (JsonNode)new JsonObject { ["table"] = t.Table, ["columns"] = new JsonArray([.. t.Columns.Select(c => (JsonNode)c)]) })]),
            },
            new JsonObject
            {
                ["dataset"] = "clinical",
                ["tables"] = new JsonArray(new JsonObject { ["table"] = "patient", ["columns"] = new JsonArray("person_id", "gender") }),
            }),
        ["period"] = new JsonObject { ["from"] = "1900-01-01", ["to"] = "2026-12-31" },
        ["members"] = members,
        ["requestedDurationMonths"] = 12,
    };

    [Fact]
    public async Task Linked_identifiers_join_across_deposits_and_an_objection_by_nir_removes_the_person_everywhere()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));
        await using var server = await RunningServer.StartAsync(clock);
        var op = server.Operator();
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/datasets", new { name = "snds-2019", kind = "snds", classification = "snds" }));
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/datasets", new { name = "clinical", kind = "fhir", classification = "clinical" }));
        var tokens = new Dictionary<string, string>();
        foreach (var (name, role) in new[] { ("alice", "researcher"), ("bob", "researcher"), ("dave", "researcher"), ("carol", "reviewer"), ("cnam", "producer"), ("chu", "producer") })
        {
            await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/users", new { name, roles = new[] { role }, organisation = "Inserm", displayName = name, publicConsent = false }));
            tokens[name] = (await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/tokens", new { user = name, expiresIn = "300d" }))).GetProperty("secret").GetString()!;
        }

        // causes of death first, keyed by BEN_IDT_ANO only; the beneficiaries' table, which links it to BEN_NIR_PSA, after
        var cnam = server.Client(tokens["cnam"]);
        foreach (var table in new[] { "KI_CCI_R", "IR_BEN_R" })
            await Expect(HttpStatusCode.OK, await cnam.PostAsync($"/api/datasets/snds-2019/deposits?table={table}",
                new StreamContent(File.OpenRead(Path.Combine(TestData.Synthetic, $"{table}.csv")))));
        var beneficiaries = Rows("IR_BEN_R");
        var deaths = Rows("KI_CCI_R");
        var known = beneficiaries.Select(b => b["BEN_IDT_ANO"]).ToHashSet();
        var linkedDeaths = deaths.Count(d => known.Contains(d["BEN_IDT_ANO"]));
        Assert.True(linkedDeaths > 0, "the synthetic data links causes of death to beneficiaries");
        // the objector: a beneficiary with a cause of death, seen at a hospital with their INS-NIR beside their SNDS pseudonym
        var objector = beneficiaries.First(b => deaths.Any(d => d["BEN_IDT_ANO"] == b["BEN_IDT_ANO"]));
        await Expect(HttpStatusCode.OK, await server.Client(tokens["chu"]).PostAsync("/api/datasets/clinical/deposits", FhirDepositServerTests.Ndjson(
            FhirDepositServerTests.Patient("h1", ("urn:hygie:snds:ben-nir-psa", objector["BEN_NIR_PSA"]), ("urn:oid:1.2.250.1.213.1.4.8", Nir)))));

        var granted = new[] { ("IR_BEN_R", new[] { "person_id", "BEN_SEX_COD" }), ("KI_CCI_R", new[] { "person_id", "DCD_CIM_COD" }), ("patient", Array.Empty<string>()) };
        var carol = server.Client(tokens["carol"]);
        async Task Approve(string id, string applicant, JsonObject application)
        {
            using var client = server.Client(tokens[applicant]);
            await Expect(HttpStatusCode.Created, await client.PostAsJsonAsync("/api/projects", application));
            await Expect(HttpStatusCode.OK, await client.PostAsync($"/api/projects/{id}/submit", null));
            await Expect(HttpStatusCode.OK, await carol.PostAsJsonAsync($"/api/reviews/{id}/approve", new { from = "2026-06-01", to = "2026-12-31" }));
        }
        await Approve("deaths", "alice", Application("deaths",
            new JsonObject { ["kind"] = "reference-methodology", ["methodology"] = "MR-004", ["declaration"] = "2224987" }, new JsonArray("alice", "bob"), granted));
        await Approve("state", "dave", Application("state",
            new JsonObject { ["kind"] = "permanent-access", ["reference"] = "Code de la santé publique, art. R. 1461-12", ["objectionExempt"] = true },
            new JsonArray("dave"), granted));

        async Task<JsonElement> Query(string member, string project, string sql)
        {
            using var client = server.Client(tokens[member]);
            return (await Expect(HttpStatusCode.OK, await client.PostAsJsonAsync($"/api/projects/{project}/query", new { sql, page = 0, pageSize = 1000 })))
                .GetProperty("rows");
        }
        async Task<long> Count(string member, string project, string sql) => (await Query(member, project, sql))[0][0].GetInt64();
        async Task<string> Persons(string member, string project) =>
            (await Query(member, project, "SELECT string_agg(DISTINCT NUM_ENQ, ',' ORDER BY NUM_ENQ) FROM IR_BEN_R"))[0][0].GetString()!;

        // the causes of death, deposited before the link was known, join their beneficiaries
        Assert.Equal(linkedDeaths, await Count("alice", "deaths", "SELECT count(*) FROM KI_CCI_R WHERE NUM_ENQ IN (SELECT NUM_ENQ FROM IR_BEN_R)"));
        var person = (await Query("alice", "deaths", "SELECT b.NUM_ENQ FROM patient p JOIN IR_BEN_R b ON p.person_id = b.NUM_ENQ LIMIT 1"))[0][0].GetString()!;
        Assert.True(await Count("alice", "deaths", $"SELECT count(*) FROM KI_CCI_R WHERE NUM_ENQ = '{person}'") > 0);
        var before = await Persons("alice", "deaths");

        // the objection, by NIR: every workspace built afterwards leaves the person out, in every table
        await Expect(HttpStatusCode.OK, await op.PostAsJsonAsync("/api/optouts", new { nir = "2 85 04 75 123 456 07" }));
        Assert.Equal(0, await Count("bob", "deaths", $"SELECT count(*) FROM IR_BEN_R WHERE NUM_ENQ = '{person}'"));
        Assert.Equal(0, await Count("bob", "deaths", $"SELECT count(*) FROM KI_CCI_R WHERE NUM_ENQ = '{person}'"));
        Assert.Equal(0, await Count("bob", "deaths", "SELECT count(*) FROM patient"));
        // everyone else keeps the project pseudonym the first build gave them
        var after = await Persons("bob", "deaths");
        Assert.Equal(before.Split(',').Where(p => p != person), after.Split(','));

        // a State access exempt from objection still sees the person, under pseudonyms of its own
        var state = await Persons("dave", "state");
        Assert.Equal(before.Split(',').Length, state.Split(',').Length);
        Assert.Empty(state.Split(',').Intersect(before.Split(',')));
        Assert.Equal(1, await Count("dave", "state", "SELECT count(*) FROM patient p JOIN KI_CCI_R k ON p.person_id = k.NUM_ENQ LIMIT 1"));
    }

    [Fact]
    public async Task A_hub_whose_stores_the_policy_forbids_for_a_classification_refuses_datasets_and_deposits_of_it_and_audits_why()
    {
        // a laptop outside any qualification: the default policy wants HDS (and SecNumCloud for SNDS data)
        await using var server = await RunningServer.StartAsync(site: new HubSite("laptop", "FR", "eu-only", []));
        var op = server.Operator();
        var refused = await op.PostAsJsonAsync("/api/datasets", new { name = "snds-2019", kind = "snds", classification = "snds" });
        var problem = await Expect(HttpStatusCode.Forbidden, refused);
        Assert.Equal("urn:hygie:problem:placement-refused", problem.GetProperty("type").GetString());
        Assert.Contains("rule 'snds' requires the HDS qualification", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await op.GetAsync("/api/datasets/snds-2019")).StatusCode);
        var audited = Assert.Single(await server.Hub.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "dataset.create", Outcome: "refused")));
        Assert.Contains("rule 'snds' requires the HDS qualification", audited.Entry.Reason);

        // a dataset created while the hub ran under the development policy takes no deposit once the operator sets the real one
        await server.Hub.Hub.Locations.SetPolicyAsync(PolicyDocument.DevelopmentPolicy, "operator");
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/datasets", new { name = "snds-2019", kind = "snds", classification = "snds" }));
        await server.Hub.Hub.Locations.SetPolicyAsync(PolicyDocument.Default, "operator");
        using var producer = server.Client(await server.IssueTokenAsync("cnam", "producer"));
        var deposit = await producer.PostAsync("/api/datasets/snds-2019/deposits?table=IR_BEN_R",
            new StreamContent(File.OpenRead(Path.Combine(TestData.Synthetic, "IR_BEN_R.csv"))));
        Assert.Equal(HttpStatusCode.Forbidden, deposit.StatusCode);
        Assert.Contains("placement-refused", await deposit.Content.ReadAsStringAsync());
        var shown = await Expect(HttpStatusCode.OK, await op.GetAsync("/api/datasets/snds-2019"));
        Assert.Empty(shown.GetProperty("dataset").GetProperty("tables").EnumerateArray());
        Assert.Empty(shown.GetProperty("deposits").EnumerateArray());
        Assert.Single(await server.Hub.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "dataset.deposit", Outcome: "refused")));
    }
}
