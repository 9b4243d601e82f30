using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hygie.Core.Identity;
using Hygie.Storage.Audit;
using Hygie.Testing;

namespace Hygie.Server.Tests;

public sealed class ServerTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Liveness_and_readiness_answer_without_a_token()
    {
        using var client = _server.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var ready = await client.GetFromJsonAsync<JsonElement>("/health/ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal("ok", ready.GetProperty("checks").GetProperty("vault").GetString());
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_routes()
    {
        using var client = _server.Client();
        var doc = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Assert.True(doc.GetProperty("paths").TryGetProperty("/api/status", out _));
    }

    [Fact]
    public async Task Without_a_token_the_api_answers_401_problem_json()
    {
        using var client = _server.Client();
        var response = await client.GetAsync("/api/status");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:hygie:problem:unauthorized", problem.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("hyg_000000000000_forged")]
    [InlineData("garbage")]
    [InlineData("")]
    public async Task A_bad_token_gets_401_and_no_detail(string token)
    {
        using var client = _server.Client(token.Length == 0 ? null : token);
        var response = await client.GetAsync("/api/status");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("revoked", body);
        Assert.DoesNotContain("expired", body);
    }

    [Fact]
    public async Task A_role_that_is_not_allowed_gets_403_naming_the_rule_and_is_audited()
    {
        var token = await _server.IssueTokenAsync("rita", Roles.Researcher);
        using var client = _server.Client(token);
        var response = await client.GetAsync("/api/status");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("operator", problem.GetProperty("detail").GetString());

        var denied = await _server.Hub.Hub.Audit.QueryAsync(new AuditQuery(Actor: "rita", ActionPrefix: "access.denied"));
        Assert.Single(denied);
        Assert.Equal("refused", denied[0].Outcome);
    }

    [Fact]
    public async Task The_operator_reads_the_status_and_the_request_is_audited()
    {
        using var client = _server.Operator();
        var status = await client.GetFromJsonAsync<JsonElement>("/api/status");
        Assert.Equal(_server.Hub.Hub.HubId, status.GetProperty("hubId").GetString());
        Assert.Equal("sqlite", status.GetProperty("metadata").GetProperty("provider").GetString());

        var events = await _server.Hub.Hub.Audit.QueryAsync(new AuditQuery(Actor: "operator", ActionPrefix: "http.request"));
        Assert.Contains(events, e => e.Target == "GET /api/status" && e.Outcome == "success");
    }

    [Fact]
    public async Task An_operator_action_the_hub_refuses_is_audited_with_the_rule_it_broke()
    {
        using var client = _server.Operator();
        var response = await client.PostAsJsonAsync("/api/users", new { name = "Not A Name!", roles = new[] { "researcher" } });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var rule = problem.GetProperty("type").GetString()!.Split(':')[^1];

        var events = await _server.Hub.Hub.Audit.QueryAsync(new AuditQuery(Actor: "operator", ActionPrefix: "http.request"));
        var refused = Assert.Single(events, e => e.Target == "POST /api/users");
        Assert.Equal("refused", refused.Outcome);
        Assert.Equal($"{rule} (field name)", refused.Entry.Reason); // the rule and the field; the message may quote the input
        Assert.DoesNotContain("Not A Name", refused.Entry.Reason);
        Assert.Equal("400", refused.Entry.Details!["status"]);
    }

    [Fact]
    public async Task An_unknown_route_is_a_problem_json_404()
    {
        using var client = _server.Client();
        var response = await client.GetAsync("/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Failed_authentication_is_audited_without_the_token()
    {
        using var client = _server.Client("hyg_abcdefabcdef_secretvalue");
        await client.GetAsync("/api/status");
        var failed = await _server.Hub.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "auth.failed"));
        Assert.NotEmpty(failed);
        Assert.DoesNotContain(failed, e => (e.Entry.Reason ?? "").Contains("secretvalue") || e.Target.Contains("secretvalue"));
    }
}
