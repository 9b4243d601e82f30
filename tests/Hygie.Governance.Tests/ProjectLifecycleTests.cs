using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hygie.Governance.Permits;
using Hygie.Storage.Audit;
using Hygie.Storage.Keys;
using Microsoft.Extensions.DependencyInjection;
using static Hygie.Governance.Tests.GovernanceHarness;

namespace Hygie.Governance.Tests;

public sealed class ProjectLifecycleTests : IAsyncLifetime
{
    private GovernanceHarness _h = null!;

    public async Task InitializeAsync() => _h = await GovernanceHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private static async Task AssertRuleAsync(HttpResponseMessage response, string rule)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"expected 403, got {(int)response.StatusCode}: {body}");
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal($"urn:hygie:problem:{rule}", problem.GetProperty("type").GetString());
        Assert.Contains(rule, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Apply_submit_approve_issues_a_permit_and_the_access_check_allows_exactly_it()
    {
        var applied = await _h.PostAsync("alice", "/api/projects", Application());
        await ExpectAsync(HttpStatusCode.Created, applied);
        Assert.Equal("draft", (await JsonOf(applied)).GetProperty("status").GetString());

        // A draft is not reviewable, and grants nothing.
        await ExpectAsync(HttpStatusCode.Conflict, await _h.PostAsync("carol", "/api/reviews/diabetes-2026/approve", new { from = "2026-06-01", to = "2026-12-31" }));
        await AssertRuleAsync(await _h.CheckAsync("alice", "diabetes-2026", "dcir", "ER_PRS_F", "PRS_PAI_MNT"), PermitRules.NoPermit);

        var submitted = await _h.PostAsync("alice", "/api/projects/diabetes-2026/submit");
        await ExpectAsync(HttpStatusCode.OK, submitted);
        Assert.Equal("submitted", (await JsonOf(submitted)).GetProperty("status").GetString());

        using (var carol = _h.As("carol"))
        {
            var queue = await carol.GetFromJsonAsync<JsonElement>("/api/reviews");
            Assert.Equal("diabetes-2026", Assert.Single(queue.EnumerateArray()).GetProperty("id").GetString());
        }

        var approved = await _h.PostAsync("carol", "/api/reviews/diabetes-2026/approve", new { from = "2026-06-01", to = "2026-12-31", reason = "complete and proportionate" });
        await ExpectAsync(HttpStatusCode.OK, approved);
        var project = await JsonOf(approved);
        Assert.Equal("approved", project.GetProperty("status").GetString());
        var permit = project.GetProperty("permit");
        Assert.Equal("active", permit.GetProperty("state").GetString());
        Assert.Equal(["alice", "bob"], permit.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), permit.GetProperty("validTo").GetDateTimeOffset());
        Assert.Equal("2019-01-01", permit.GetProperty("dataFrom").GetString());
        Assert.Equal(3, permit.GetProperty("tables").GetArrayLength());

        // The project key exists from the approval on: analysis re-keys persons with it.
        var keyId = project.GetProperty("keyId").GetString()!;
        Assert.Equal(32, (await _h.Hub.Keys.GetAsync(keyId)).Length);

        var allowed = await _h.CheckAsync("alice", "diabetes-2026", "dcir", "ER_PRS_F", "person_id", "PRS_PAI_MNT");
        await ExpectAsync(HttpStatusCode.OK, allowed);
        Assert.True((await JsonOf(allowed)).GetProperty("allowed").GetBoolean());

        // The evaluator analysis calls, directly.
        var evaluator = _h.Server.App.Services.GetRequiredService<PermitEvaluator>();
        var grant = await evaluator.CheckAsync("bob", "diabetes-2026", "pmsi-mco", "T_MCOaaB", ["DGN_PAL"], _h.Clock.GetUtcNow());
        Assert.Equal(keyId, grant.ProjectKeyId);
        Assert.True(grant.ObjectionApplies);
        Assert.Equal(permit.GetProperty("id").GetString(), grant.Permit.Id);

        var approval = Assert.Single(await _h.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "review.approve", Outcome: "success")));
        Assert.Equal("carol", approval.Actor);
        Assert.Equal("complete and proportionate", approval.Entry.Reason);
        Assert.Equal(keyId, approval.Entry.Details!["projectKey"]);
    }

    [Fact]
    public async Task Moving_the_clock_past_the_permit_end_refuses_the_very_next_check()
    {
        var id = await _h.ApprovedProjectAsync();
        await ExpectAsync(HttpStatusCode.OK, await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F", "PRS_PAI_MNT"));

        _h.Clock.Set(new DateTimeOffset(2026, 12, 31, 23, 59, 59, TimeSpan.Zero));
        await ExpectAsync(HttpStatusCode.OK, await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F", "PRS_PAI_MNT"));

        _h.Clock.Set(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var refused = await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F", "PRS_PAI_MNT");
        await AssertRuleAsync(refused, PermitRules.OutsideWindow);

        var evaluator = _h.Server.App.Services.GetRequiredService<PermitEvaluator>();
        var e = await Assert.ThrowsAsync<Core.Errors.AccessDeniedException>(() =>
            evaluator.CheckAsync("alice", id, "dcir", "ER_PRS_F", ["PRS_PAI_MNT"], _h.Clock.GetUtcNow()));
        Assert.Equal(PermitRules.OutsideWindow, e.Code);

        var audited = await _h.Hub.Audit.QueryAsync(new AuditQuery(Actor: "alice", ActionPrefix: "permit.check", Outcome: "refused"));
        Assert.Equal(2, audited.Count);
        Assert.All(audited, a => Assert.Equal(PermitRules.OutsideWindow, a.Entry.Details!["rule"]));
    }

    [Fact]
    public async Task A_window_not_yet_open_is_refused_until_its_first_day()
    {
        var id = await _h.ApprovedProjectAsync(from: "2026-07-01", to: "2027-06-30");
        await AssertRuleAsync(await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F"), PermitRules.OutsideWindow);
        _h.Clock.Set(new DateTimeOffset(2026, 7, 1, 0, 0, 0, TimeSpan.Zero));
        await ExpectAsync(HttpStatusCode.OK, await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F"));
    }

    [Fact]
    public async Task Members_not_on_the_permit_and_data_not_granted_get_403_naming_the_rule()
    {
        var id = await _h.ApprovedProjectAsync();
        await AssertRuleAsync(await _h.CheckAsync("dave", id, "dcir", "ER_PRS_F", "PRS_PAI_MNT"), PermitRules.MemberNotOnPermit);
        var column = await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F", "PRS_PAI_MNT", "BEN_NAI_ANN");
        await AssertRuleAsync(column, PermitRules.ColumnNotGranted);
        Assert.Contains("BEN_NAI_ANN", (await JsonOf(column)).GetProperty("detail").GetString());
        await AssertRuleAsync(await _h.CheckAsync("alice", id, "pmsi-mco", "T_MCOaaC", "ETA_NUM"), PermitRules.TableNotGranted);
        await AssertRuleAsync(await _h.CheckAsync("alice", id, "ir-ben-r", "IR_BEN_R"), PermitRules.DatasetNotGranted);

        var refusals = await _h.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "permit.check", Outcome: "refused"));
        Assert.Equal(4, refusals.Count);
        Assert.Contains(refusals, r => r.Actor == "dave" && r.Entry.Reason!.Contains(PermitRules.MemberNotOnPermit));
    }

    [Fact]
    public async Task Revocation_ends_access_at_once_and_needs_a_reason()
    {
        var id = await _h.ApprovedProjectAsync();
        var noReason = await _h.PostAsync("carol", $"/api/projects/{id}/revoke", new { });
        await ExpectAsync(HttpStatusCode.BadRequest, noReason);
        Assert.Equal("reason", (await JsonOf(noReason)).GetProperty("field").GetString());
        await ExpectAsync(HttpStatusCode.Forbidden, await _h.PostAsync("alice", $"/api/projects/{id}/revoke", new { reason = "mine" }));

        var revoked = await _h.PostAsync("carol", $"/api/projects/{id}/revoke", new { reason = "data shared outside the hub" });
        await ExpectAsync(HttpStatusCode.OK, revoked);
        var project = await JsonOf(revoked);
        Assert.Equal("revoked", project.GetProperty("status").GetString());
        Assert.Equal("revoked", project.GetProperty("permit").GetProperty("state").GetString());
        await AssertRuleAsync(await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F", "PRS_PAI_MNT"), PermitRules.Revoked);
        var e = Assert.Single(await _h.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "project.revoke", Outcome: "success")));
        Assert.Equal("data shared outside the hub", e.Entry.Reason);
    }

    [Fact]
    public async Task Closing_destroys_the_project_key_and_records_it()
    {
        var id = await _h.ApprovedProjectAsync();
        var keyId = (await _h.Hub.Keys.FindIdAsync("project", id))!;
        Assert.NotNull(await _h.Hub.Keys.GetAsync(keyId));
        await ExpectAsync(HttpStatusCode.Forbidden, await _h.PostAsync("bob", $"/api/projects/{id}/close", new { reason = "done" }));

        var closed = await _h.PostAsync("alice", $"/api/projects/{id}/close", new { reason = "study finished" });
        await ExpectAsync(HttpStatusCode.OK, closed);
        var project = await JsonOf(closed);
        Assert.Equal("closed", project.GetProperty("status").GetString());
        Assert.Equal("closed", project.GetProperty("permit").GetProperty("state").GetString());

        var destroyed = await Assert.ThrowsAsync<KeyDestroyedException>(() => _h.Hub.Keys.GetAsync(keyId));
        Assert.Equal("key-destroyed", destroyed.Code);
        var key = Assert.Single(await _h.Hub.Keys.ListAsync(), k => k.Id == keyId);
        Assert.NotNull(key.Destroyed);

        var e = Assert.Single(await _h.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "project.close", Outcome: "success")));
        Assert.Equal("alice", e.Actor);
        Assert.Equal("success", e.Outcome);
        Assert.Equal(keyId, e.Entry.Details!["keyDestroyed"]);

        await AssertRuleAsync(await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F", "PRS_PAI_MNT"), PermitRules.ProjectClosed);
        await ExpectAsync(HttpStatusCode.Conflict, await _h.PostAsync("alice", $"/api/projects/{id}/close"));
    }

    [Fact]
    public async Task A_reviewer_never_reviews_an_application_they_wrote_or_are_named_on()
    {
        var named = Application("named-reviewer");
        named["members"] = new JsonArray("alice", "dave");
        await ExpectAsync(HttpStatusCode.Created, await _h.PostAsync("alice", "/api/projects", named));
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("alice", "/api/projects/named-reviewer/submit"));
        var refused = await _h.PostAsync("dave", "/api/reviews/named-reviewer/approve", new { from = "2026-06-01", to = "2026-12-31" });
        await AssertRuleAsync(refused, "own-application");

        var own = Application("own-application");
        own["members"] = new JsonArray("dave");
        await ExpectAsync(HttpStatusCode.Created, await _h.PostAsync("dave", "/api/projects", own));
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("dave", "/api/projects/own-application/submit"));
        await AssertRuleAsync(await _h.PostAsync("dave", "/api/reviews/own-application/refuse", new { reason = "x" }), "own-application");
        await AssertRuleAsync(await _h.PostAsync("dave", "/api/reviews/own-application/request-changes", new { reason = "x" }), "own-application");

        var audited = await _h.Hub.Audit.QueryAsync(new AuditQuery(Actor: "dave", ActionPrefix: "review.", Outcome: "refused"));
        Assert.Equal(3, audited.Count);
        Assert.All(audited, a => Assert.Equal("own-application", a.Entry.Details!["rule"]));

        // Another reviewer may.
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("carol", "/api/reviews/own-application/approve", new { from = "2026-06-01", to = "2026-12-31" }));
        // A researcher without the reviewer role is refused by role.
        await ExpectAsync(HttpStatusCode.Forbidden, await _h.PostAsync("bob", "/api/reviews/named-reviewer/approve", new { from = "2026-06-01", to = "2026-12-31" }));
    }

    [Fact]
    public async Task An_amendment_goes_through_the_same_review_and_its_permit_supersedes_the_first()
    {
        var id = await _h.ApprovedProjectAsync();
        var keyId = (await _h.Hub.Keys.FindIdAsync("project", id))!;
        var amended = Application();
        amended["datasets"]![0]!["tables"]![0]!["columns"]!.AsArray().Add("BEN_NAI_ANN");
        amended["members"] = new JsonArray("alice", "bob", "dave");

        var draft = await _h.PostAsync("alice", $"/api/projects/{id}/amend", amended);
        await ExpectAsync(HttpStatusCode.OK, draft);
        var project = await JsonOf(draft);
        Assert.Equal("approved", project.GetProperty("status").GetString());
        Assert.Equal(2, project.GetProperty("versions").GetArrayLength());
        Assert.Equal("draft", project.GetProperty("open").GetProperty("status").GetString());

        // Until approved, the first permit rules.
        await AssertRuleAsync(await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F", "BEN_NAI_ANN"), PermitRules.ColumnNotGranted);
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("alice", $"/api/projects/{id}/submit"));
        await ExpectAsync(HttpStatusCode.Conflict, await _h.PostAsync("alice", $"/api/projects/{id}/amend", amended));
        // dave is now named on the amendment: he may not review it.
        await AssertRuleAsync(await _h.PostAsync("dave", $"/api/reviews/{id}/approve", new { from = "2026-06-01", to = "2027-05-31" }), "own-application");
        await AssertRuleAsync(await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F", "BEN_NAI_ANN"), PermitRules.ColumnNotGranted);

        var approved = await _h.PostAsync("carol", $"/api/reviews/{id}/approve", new { from = "2026-06-01", to = "2027-05-31" });
        await ExpectAsync(HttpStatusCode.OK, approved);
        var permit = (await JsonOf(approved)).GetProperty("permit");
        Assert.Equal(2, permit.GetProperty("applicationVersion").GetInt32());
        await ExpectAsync(HttpStatusCode.OK, await _h.CheckAsync("alice", id, "dcir", "ER_PRS_F", "BEN_NAI_ANN"));
        await ExpectAsync(HttpStatusCode.OK, await _h.CheckAsync("dave", id, "dcir", "ER_PRS_F", "BEN_NAI_ANN"));
        Assert.Equal(keyId, await _h.Hub.Keys.FindIdAsync("project", id));
        var approval = (await _h.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "review.approve", Outcome: "success")))[0];
        Assert.NotNull(approval.Entry.Details!["supersedes"]);
    }

    [Fact]
    public async Task Changes_requested_then_resubmitted_and_a_refusal_is_final()
    {
        await ExpectAsync(HttpStatusCode.Created, await _h.PostAsync("alice", "/api/projects", Application()));
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("alice", "/api/projects/diabetes-2026/submit"));
        var noReason = await _h.PostAsync("carol", "/api/reviews/diabetes-2026/request-changes", new { });
        Assert.Equal("reason", (await JsonOf(noReason)).GetProperty("field").GetString());
        var returned = await _h.PostAsync("carol", "/api/reviews/diabetes-2026/request-changes", new { reason = "narrow the period to 2020-2022" });
        Assert.Equal("changes-requested", (await JsonOf(returned)).GetProperty("status").GetString());

        var changed = Application();
        changed["period"]!["from"] = "2020-01-01";
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("alice", "/api/projects/diabetes-2026/amend", changed));
        await ExpectAsync(HttpStatusCode.Forbidden, await _h.PostAsync("bob", "/api/projects/diabetes-2026/submit"));
        await ExpectAsync(HttpStatusCode.OK, await _h.PostAsync("alice", "/api/projects/diabetes-2026/submit"));
        var refused = await _h.PostAsync("carol", "/api/reviews/diabetes-2026/refuse", new { reason = "no scientific committee opinion" });
        var project = await JsonOf(refused);
        Assert.Equal("refused", project.GetProperty("status").GetString());
        Assert.Equal("no scientific committee opinion", project.GetProperty("versions")[0].GetProperty("decisionReason").GetString());
        await ExpectAsync(HttpStatusCode.Conflict, await _h.PostAsync("alice", "/api/projects/diabetes-2026/amend", changed));
    }

    [Fact]
    public async Task Researchers_see_their_own_projects_only()
    {
        var id = await _h.ApprovedProjectAsync();
        using (var bob = _h.As("bob")) Assert.Single((await bob.GetFromJsonAsync<JsonElement>("/api/projects")).EnumerateArray());
        await _h.AddUserAsync("frank", ["researcher"], "ORS", "Frank Morel", consent: false);
        using var frank = _h.As("frank");
        Assert.Empty((await frank.GetFromJsonAsync<JsonElement>("/api/projects")).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await frank.GetAsync($"/api/projects/{id}")).StatusCode);
        using var erin = _h.As("erin");
        Assert.Single((await erin.GetFromJsonAsync<JsonElement>("/api/projects")).EnumerateArray());
    }
}
