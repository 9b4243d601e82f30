using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hygie.Storage.Audit;
using static Hygie.Governance.Tests.GovernanceHarness;

namespace Hygie.Governance.Tests;

public sealed class ApplicationValidationTests : IAsyncLifetime
{
    private GovernanceHarness _h = null!;

    public async Task InitializeAsync() => _h = await GovernanceHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    public static TheoryData<string, string> Faults => new()
    {
        { "no-legal-basis", "legalBasis" },
        { "unknown-legal-basis-kind", "legalBasis.kind" },
        { "cnil-without-number", "legalBasis.number" },
        { "mr-without-declaration", "legalBasis.declaration" },
        { "exempt-without-permanent-access", "legalBasis.objectionExempt" },
        { "unknown-dataset", "datasets[1].dataset" },
        { "unknown-table", "datasets[0].tables[1].table" },
        { "unknown-column", "datasets[0].tables[0].columns[4]" },
        { "no-dataset", "datasets" },
        { "end-before-start", "period.to" },
        { "before-coverage", "period.from" },
        { "after-coverage", "period.to" },
        { "unknown-member", "members[1]" },
        { "member-not-researcher", "members[1]" },
        { "no-title", "title" },
        { "duration-too-long", "requestedDurationMonths" },
    };

    private static JsonObject Spoil(string fault)
    {
        var a = Application();
        switch (fault)
        {
            case "no-legal-basis": a.Remove("legalBasis"); break;
            case "unknown-legal-basis-kind": a["legalBasis"]!["kind"] = "consent"; break;
            case "cnil-without-number": a["legalBasis"] = new JsonObject { ["kind"] = "cnil-authorization", ["date"] = "2024-05-02" }; break;
            case "mr-without-declaration": a["legalBasis"]!.AsObject().Remove("declaration"); break;
            case "exempt-without-permanent-access": a["legalBasis"]!["objectionExempt"] = true; break;
            case "unknown-dataset": a["datasets"]![1]!["dataset"] = "pmsi-xyz"; break;
            case "unknown-table": a["datasets"]![0]!["tables"]![1]!["table"] = "ER_XXX_F"; break;
            case "unknown-column": a["datasets"]![0]!["tables"]![0]!["columns"]!.AsArray().Add("NIR_EN_CLAIR"); break;
            case "no-dataset": a["datasets"] = new JsonArray(); break;
            case "end-before-start": a["period"] = new JsonObject { ["from"] = "2021-01-01", ["to"] = "2020-12-31" }; break;
            case "before-coverage": a["period"]!["from"] = "2016-01-01"; break; // pmsi-mco starts in 2018
            case "after-coverage": a["period"]!["to"] = "2024-06-30"; break;   // pmsi-mco ends in 2023
            case "unknown-member": a["members"] = new JsonArray("alice", "mallory"); break;
            case "member-not-researcher": a["members"] = new JsonArray("alice", "carol"); break;
            case "no-title": a["title"] = " "; break;
            case "duration-too-long": a["requestedDurationMonths"] = 120; break;
        }
        return a;
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_faulty_application_is_refused_with_the_field_named_and_nothing_is_kept(string fault, string field)
    {
        var response = await _h.PostAsync("alice", "/api/projects", Spoil(fault));
        await ExpectAsync(HttpStatusCode.BadRequest, response);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await JsonOf(response);
        Assert.Equal("urn:hygie:problem:validation", problem.GetProperty("type").GetString());
        Assert.Equal(field, problem.GetProperty("field").GetString());

        using var alice = _h.As("alice");
        Assert.Empty((await alice.GetFromJsonAsync<JsonElement>("/api/projects")).EnumerateArray());
        var refusal = Assert.Single(await _h.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "project.apply")));
        Assert.Equal("refused", refusal.Outcome);
    }

    [Fact]
    public async Task Every_legal_basis_kind_is_accepted_when_complete()
    {
        var cnil = Application("cnil-project");
        cnil["legalBasis"] = new JsonObject { ["kind"] = "cnil-authorization", ["number"] = "DR-2024-123", ["date"] = "2024-05-02" };
        await ExpectAsync(HttpStatusCode.Created, await _h.PostAsync("alice", "/api/projects", cnil));
        var state = Application("state-access");
        state["legalBasis"] = new JsonObject { ["kind"] = "permanent-access", ["reference"] = "Code de la santé publique, art. R. 1461-12", ["objectionExempt"] = true };
        var created = await _h.PostAsync("alice", "/api/projects", state);
        await ExpectAsync(HttpStatusCode.Created, created);
        Assert.True((await JsonOf(created)).GetProperty("application").GetProperty("legalBasis").GetProperty("objectionExempt").GetBoolean());
    }

    [Fact]
    public async Task Names_are_spelled_as_the_catalogue_spells_them_and_duplicates_refused()
    {
        var a = Application("casing");
        a["datasets"]![0]!["dataset"] = "DCIR";
        a["datasets"]![0]!["tables"]![0]!["table"] = "er_prs_f";
        var created = await JsonOf(await _h.PostAsync("alice", "/api/projects", a));
        Assert.Equal("dcir", created.GetProperty("application").GetProperty("datasets")[0].GetProperty("dataset").GetString());
        Assert.Equal("ER_PRS_F", created.GetProperty("application").GetProperty("datasets")[0].GetProperty("tables")[0].GetProperty("table").GetString());

        var twice = Application("twice");
        twice["id"] = "diabetes-2026";
        await ExpectAsync(HttpStatusCode.Created, await _h.PostAsync("alice", "/api/projects", twice));
        await ExpectAsync(HttpStatusCode.Conflict, await _h.PostAsync("alice", "/api/projects", twice));
        var badId = Application("Bad Id!");
        Assert.Equal("id", (await JsonOf(await _h.PostAsync("alice", "/api/projects", badId))).GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_reviewer_cannot_apply_and_a_permit_window_is_checked()
    {
        await ExpectAsync(HttpStatusCode.Forbidden, await _h.PostAsync("carol", "/api/projects", Application()));
        await ExpectAsync(HttpStatusCode.Created, await _h.PostAsync("alice", "/api/projects", Application()));
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("alice", "/api/projects/diabetes-2026/submit"));
        foreach (var (window, field) in new[]
                 {
                     (new { from = "2026-06-01", to = "2026-05-01" }, "to"),
                     (new { from = "2026-06-01", to = "2029-06-01" }, "to"), // longer than the 24 months asked for
                     (new { from = "first of june", to = "2026-12-31" }, "from"),
                 })
        {
            var response = await _h.PostAsync("carol", "/api/reviews/diabetes-2026/approve", window);
            await ExpectAsync(HttpStatusCode.BadRequest, response);
            Assert.Equal(field, (await JsonOf(response)).GetProperty("field").GetString());
        }
    }
}
