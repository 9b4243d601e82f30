using System.Net;
using System.Text.Json;
using Hygie.Cli;

namespace Hygie.Fhir.Tests;

/// <summary>The operator's verbs: <c>hygie tenants …</c> and <c>hygie alerts …</c>, against the running server.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private FhirServer _server = null!;

    public async Task InitializeAsync() => _server = await FhirServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HygieCli.RunAsync([.. args, "--server", _server.BaseAddress.ToString(), "--token", _server.Server.Hub.OperatorToken], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Tenants_are_added_and_listed()
    {
        var add = await RunAsync("tenants", "add", "clinic-a", "--name-search");
        Assert.Equal(0, add.Code);
        Assert.Contains("/fhir/clinic-a/", add.Out);
        var list = await RunAsync("tenants", "list", "--json");
        Assert.Equal(0, list.Code);
        Assert.Contains("\"clinic-a\"", list.Out);
        var again = await RunAsync("tenants", "add", "clinic-a");
        Assert.Equal(1, again.Code);
        Assert.Contains("already exists", again.Error);
        Assert.Single(again.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Tokens_create_with_a_tenant_issues_an_application_token_for_that_tenant_only()
    {
        Assert.Equal(0, (await RunAsync("tenants", "add", "clinic-a")).Code);
        var created = await RunAsync("tokens", "create", "--tenant", "clinic-a", "--scope", "user/*.*");
        Assert.Equal(0, created.Code);
        var lines = created.Out.Trim().Split('\n');
        Assert.Contains("for app@clinic-a on tenant clinic-a (user/*.*)", lines[0]);
        var secret = lines[1].Trim();
        Assert.StartsWith("hyg_", secret);

        using var app = _server.Http(secret);
        Assert.Equal(HttpStatusCode.OK, (await app.GetAsync("/fhir/clinic-a/Patient")).StatusCode);
        // Only FHIR, only that tenant: no hub role reaches /api.
        var api = await app.GetAsync("/api/tokens");
        Assert.Equal(HttpStatusCode.Forbidden, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.GetAsync("/api/fhir/tenants")).StatusCode);

        // Expires as every token does: 90 days by default.
        var json = await RunAsync("tokens", "create", "--tenant", "clinic-a", "--scope", "patient/Observation.write", "--scope", "user/Patient.rs", "--app", "monitoring", "--json");
        Assert.Equal(0, json.Code);
        var token = JsonDocument.Parse(json.Out).RootElement.GetProperty("token");
        Assert.Equal("monitoring@clinic-a", token.GetProperty("subject").GetString());
        Assert.Empty(token.GetProperty("roles").EnumerateArray());
        Assert.Equal(["patient/Observation.write", "user/Patient.rs"], token.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        var lifetime = token.GetProperty("expires").GetDateTimeOffset() - token.GetProperty("created").GetDateTimeOffset();
        Assert.Equal(90, Math.Round(lifetime.TotalDays, 3));

        // Listed by tenant, with the application's name and scopes.
        var list = await RunAsync("tokens", "list", "--tenant", "clinic-a", "--json");
        var listed = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Select(t => t.GetProperty("subject").GetString()).ToList();
        Assert.Equal(["app@clinic-a", "monitoring@clinic-a"], listed);
    }

    [Theory]
    [InlineData("tenant 'nowhere' does not exist", "tokens", "create", "--tenant", "nowhere", "--scope", "user/*.*")]
    [InlineData("scope 'user/*.everything' is refused", "tokens", "create", "--tenant", "clinic-c", "--scope", "user/*.everything")]
    [InlineData("'Observatoin' is not a FHIR R4 resource type", "tokens", "create", "--tenant", "clinic-c", "--scope", "patient/Observatoin.read")]
    [InlineData("needs at least one SMART scope", "tokens", "create", "--tenant", "clinic-c")]
    [InlineData("never hub roles", "tokens", "create", "--tenant", "clinic-c", "--scope", "user/*.*", "--role", "operator")]
    [InlineData("at most 366 days", "tokens", "create", "--tenant", "clinic-c", "--scope", "user/*.*", "--expires", "400d")]
    [InlineData("an application name is", "tokens", "create", "--tenant", "clinic-c", "--scope", "user/*.*", "--app", "Bad App")]
    [InlineData("user ghost does not exist", "tokens", "create", "--tenant", "clinic-c", "--scope", "user/*.*", "--user", "ghost")]
    [InlineData("name the account the token is for", "tokens", "create")]
    public async Task Bad_tenant_tokens_are_refused_in_one_line(string expected, params string[] args)
    {
        Assert.Equal(0, (await RunAsync("tenants", "add", "clinic-c")).Code);
        var refused = await RunAsync(args);
        Assert.Equal(1, refused.Code);
        Assert.Contains(expected, refused.Error);
        Assert.Single(refused.Error.Trim().Split('\n'));
        Assert.DoesNotContain("hyg_", refused.Out + refused.Error);
        Assert.Empty(await _server.Server.Hub.Hub.Tokens.ListAsync("app@clinic-c"));
    }

    [Fact]
    public async Task The_interim_tenants_token_verb_is_gone()
    {
        Assert.Equal(0, (await RunAsync("tenants", "add", "clinic-d")).Code);
        Assert.NotEqual(0, (await RunAsync("tenants", "token", "clinic-d", "--scope", "user/*.*")).Code);
        using var op = _server.Http(_server.Server.Hub.OperatorToken);
        var interim = await op.PostAsync("/api/fhir/tenants/clinic-d/tokens", new StringContent("""{"scopes":["user/*.*"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, interim.StatusCode);
        Assert.Empty(await _server.Server.Hub.Hub.Tokens.ListAsync("app@clinic-d"));
    }

    [Fact]
    public async Task Alert_rules_are_added_listed_and_removed_and_bad_ones_refused()
    {
        await RunAsync("tenants", "add", "clinic-b");
        using var dir = new Hygie.Testing.TempDirectory();
        var good = dir.Combine("rule.json");
        await File.WriteAllTextAsync(good, """{"id":"tachy","name":"Heart rate above 120","code":{"system":"http://loinc.org","code":"8867-4"},"condition":{"type":"above","threshold":120,"unit":"/min"},"severity":"high"}""");
        var add = await RunAsync("alerts", "add", "clinic-b", "--file", good);
        Assert.Equal(0, add.Code);
        Assert.Contains("8867-4 above 120 /min", add.Out);
        var list = await RunAsync("alerts", "list", "clinic-b");
        Assert.Contains("tachy", list.Out);

        var bad = dir.Combine("bad.json");
        await File.WriteAllTextAsync(bad, """{"name":"x","code":{"code":"8867-4"},"condition":{"type":"greater-than","threshold":1},"severity":"high"}""");
        var refused = await RunAsync("alerts", "add", "clinic-b", "--file", bad);
        Assert.Equal(1, refused.Code);
        Assert.Contains("unknown condition type 'greater-than'", refused.Error);
        Assert.Contains("[422]", refused.Error);

        Assert.Equal(1, (await RunAsync("alerts", "add", "clinic-b", "--file", dir.Combine("missing.json"))).Code);
        Assert.Equal(0, (await RunAsync("alerts", "remove", "clinic-b", "tachy")).Code);
        Assert.DoesNotContain("tachy", (await RunAsync("alerts", "list", "clinic-b", "--json")).Out);
        Assert.Equal(1, (await RunAsync("alerts", "list", "nowhere")).Code);
    }
}
