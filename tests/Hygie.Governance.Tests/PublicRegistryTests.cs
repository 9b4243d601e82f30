using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Hygie.Governance.Tests.GovernanceHarness;

namespace Hygie.Governance.Tests;

public sealed class PublicRegistryTests : IAsyncLifetime
{
    private GovernanceHarness _h = null!;

    public async Task InitializeAsync() => _h = await GovernanceHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task The_registry_lists_submitted_projects_without_an_account_and_names_only_consenting_members()
    {
        using var citizen = _h.Server.Client();
        await ExpectAsync(HttpStatusCode.Created, await _h.PostAsync("alice", "/api/projects", Application()));
        Assert.Empty((await citizen.GetFromJsonAsync<JsonElement>("/public/projects")).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await citizen.GetAsync("/public/projects/diabetes-2026")).StatusCode);

        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("alice", "/api/projects/diabetes-2026/submit"));
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("carol", "/api/reviews/diabetes-2026/approve", new { from = "2026-06-01", to = "2026-12-31" }));

        var body = await citizen.GetStringAsync("/public/projects");
        var project = Assert.Single(JsonDocument.Parse(body).RootElement.EnumerateArray());
        Assert.Equal("diabetes-2026", project.GetProperty("id").GetString());
        Assert.Equal("Inserm U1018", project.GetProperty("sponsor").GetString());
        Assert.Equal("approved", project.GetProperty("status").GetString());
        Assert.Equal("MR-004, declaration 2224987", project.GetProperty("legalBasis").GetProperty("reference").GetString());
        Assert.Equal(["dcir", "pmsi-mco"], project.GetProperty("datasets").EnumerateArray().Select(d => d.GetProperty("dataset").GetString()));
        Assert.Equal("2019-01-01", project.GetProperty("dataFrom").GetString());
        var member = Assert.Single(project.GetProperty("members").EnumerateArray());
        Assert.Equal("Alice Martin", member.GetProperty("name").GetString());
        Assert.Equal(1, project.GetProperty("unnamedMembers").GetInt32());
        Assert.DoesNotContain("Durand", body);
        Assert.DoesNotContain("\"bob\"", body);
        Assert.DoesNotContain("\"alice\"", body);   // account names are not published either
        Assert.DoesNotContain("keyId", body);

        var single = await citizen.GetStringAsync("/public/projects/diabetes-2026");
        Assert.DoesNotContain("Durand", single);
        Assert.Contains("Alice Martin", single);
    }

    [Fact]
    public async Task The_catalogue_is_public_with_rounded_counts_only()
    {
        using var citizen = _h.Server.Client();
        var body = await citizen.GetStringAsync("/public/datasets");
        var datasets = JsonDocument.Parse(body).RootElement;
        var dcir = datasets.EnumerateArray().Single(d => d.GetProperty("name").GetString() == "dcir");
        var prs = dcir.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "ER_PRS_F");
        Assert.Equal(1_235_000, prs.GetProperty("rows").GetProperty("value").GetInt64());
        Assert.Equal(46_000, prs.GetProperty("persons").GetProperty("value").GetInt64());
        Assert.Contains(prs.GetProperty("columns").EnumerateArray(), c => c.GetProperty("name").GetString() == "PRS_PAI_MNT");
        var ben = datasets.EnumerateArray().Single(d => d.GetProperty("name").GetString() == "ir-ben-r").GetProperty("tables")[0];
        Assert.Equal(JsonValueKind.Null, ben.GetProperty("rows").GetProperty("value").ValueKind);
        Assert.Equal("fewer than 1,000", ben.GetProperty("rows").GetProperty("note").GetString());
        Assert.DoesNotContain("1234567", body);
        Assert.DoesNotContain("45678", body);
        Assert.DoesNotContain("420", body);
    }

    [Fact]
    public async Task Projects_not_published_18_months_after_closure_are_flagged()
    {
        var id = await _h.ApprovedProjectAsync();
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("alice", $"/api/projects/{id}/close", new { reason = "study finished" }));
        _h.Clock.Set(Start.AddMonths(18).AddDays(-1));
        await _h.RenewTokensAsync();
        using var erin = _h.As("erin");
        using var citizen = _h.Server.Client();

        Assert.Empty((await erin.GetFromJsonAsync<JsonElement>("/api/projects?overdue=true")).EnumerateArray());
        Assert.False((await citizen.GetFromJsonAsync<JsonElement>($"/public/projects/{id}")).GetProperty("publicationOverdue").GetBoolean());

        _h.Clock.Set(Start.AddMonths(18).AddDays(1));
        var overdue = Assert.Single((await erin.GetFromJsonAsync<JsonElement>("/api/projects?overdue=true")).EnumerateArray());
        Assert.Equal(id, overdue.GetProperty("id").GetString());
        Assert.Equal(Start.AddMonths(18), overdue.GetProperty("publicationDeadline").GetDateTimeOffset());
        Assert.True((await citizen.GetFromJsonAsync<JsonElement>($"/public/projects/{id}")).GetProperty("publicationOverdue").GetBoolean());

        var noReference = await _h.PostAsync("alice", $"/api/projects/{id}/publication", new { });
        Assert.Equal("reference", (await JsonOf(noReference)).GetProperty("field").GetString());
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("alice", $"/api/projects/{id}/publication", new { reference = "doi:10.1016/S0140-6736(27)00001-X" }));
        Assert.Empty((await erin.GetFromJsonAsync<JsonElement>("/api/projects?overdue=true")).EnumerateArray());
        var published = await citizen.GetFromJsonAsync<JsonElement>($"/public/projects/{id}");
        Assert.Equal("doi:10.1016/S0140-6736(27)00001-X", published.GetProperty("publication").GetProperty("reference").GetString());
    }

    [Fact]
    public async Task The_access_review_says_who_can_read_what_today_and_why()
    {
        var id = await _h.ApprovedProjectAsync();
        using var erin = _h.As("erin");
        var report = await erin.GetFromJsonAsync<JsonElement>("/api/access/review");
        var access = report.GetProperty("dataAccess").EnumerateArray().ToList();
        Assert.Equal(["alice", "bob"], access.Select(a => a.GetProperty("user").GetString()));
        Assert.All(access, a =>
        {
            Assert.Equal(id, a.GetProperty("project").GetString());
            Assert.Equal("MR-004, declaration 2224987", a.GetProperty("legalBasis").GetString());
            Assert.Equal("carol", a.GetProperty("approvedBy").GetString());
        });
        var holders = report.GetProperty("roleHolders").EnumerateArray().ToList();
        Assert.Contains(holders, h => h.GetProperty("user").GetString() == "operator" && h.GetProperty("roles")[0].GetString() == "operator");
        Assert.Contains(holders, h => h.GetProperty("user").GetString() == "carol" && h.GetProperty("liveTokens").GetInt32() == 1);

        _h.Clock.Set(new DateTimeOffset(2027, 1, 2, 0, 0, 0, TimeSpan.Zero));
        Assert.Empty((await erin.GetFromJsonAsync<JsonElement>("/api/access/review")).GetProperty("dataAccess").EnumerateArray());
        using var alice = _h.As("alice");
        Assert.Equal(HttpStatusCode.Forbidden, (await alice.GetAsync("/api/access/review")).StatusCode);
    }
}
