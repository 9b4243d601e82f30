using System.Text.Json;
using Hygie.Cli;
using Hygie.Testing;
using static Hygie.Governance.Tests.GovernanceHarness;

namespace Hygie.Governance.Tests;

/// <summary>The governance verbs as clients of the real server.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private GovernanceHarness _h = null!;
    private readonly TempDirectory _dir = new("hygie-cli");

    public async Task InitializeAsync() => _h = await GovernanceHarness.StartAsync();

    public async Task DisposeAsync()
    {
        await _h.DisposeAsync();
        _dir.Dispose();
    }

    private sealed record Run(int ExitCode, string Out, string Error);

    private async Task<Run> HygieAsync(string token, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await HygieCli.RunAsync([.. args, "--server", _h.Server.BaseAddress.ToString(), "--token", token], stdout, stderr);
        return new Run(code, stdout.ToString(), stderr.ToString());
    }

    private async Task<JsonElement> JsonAsync(string token, params string[] args)
    {
        var run = await HygieAsync(token, [.. args, "--json"]);
        Assert.True(run.ExitCode == 0, $"hygie {string.Join(' ', args)} failed: {run.Error}");
        return JsonDocument.Parse(run.Out).RootElement;
    }

    [Fact]
    public async Task Operator_researcher_reviewer_and_auditor_do_the_whole_flow_with_the_cli()
    {
        var op = _h.Server.Hub.OperatorToken;
        var added = await HygieAsync(op, "users", "add", "frank", "--role", "researcher", "--org", "Inserm U1018", "--name", "Frank Morel", "--reason", "new PhD student");
        Assert.Equal(0, added.ExitCode);
        Assert.Contains("frank", added.Out);
        var users = await JsonAsync(op, "users", "list");
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("name").GetString() == "frank" && u.GetProperty("organisation").GetString() == "Inserm U1018");

        var issued = await JsonAsync(op, "tokens", "create", "--user", "frank", "--expires", "30d");
        var frank = issued.GetProperty("secret").GetString()!;
        Assert.StartsWith("hyg_", frank);
        Assert.Equal(GovernanceHarness.Start.AddDays(30), issued.GetProperty("token").GetProperty("expires").GetDateTimeOffset());
        var listed = await HygieAsync(op, "tokens", "list", "--user", "frank", "--json");
        Assert.Contains(issued.GetProperty("token").GetProperty("id").GetString()!, listed.Out);
        Assert.DoesNotContain(frank, listed.Out);

        var application = Application("frank-cohort");
        application["members"] = new System.Text.Json.Nodes.JsonArray("frank", "alice");
        var file = _dir.Combine("application.json");
        await File.WriteAllTextAsync(file, application.ToJsonString());
        var applied = await HygieAsync(frank, "projects", "apply", "--file", file);
        Assert.Equal(0, applied.ExitCode);
        Assert.Contains("frank-cohort", applied.Out);
        Assert.Equal(0, (await HygieAsync(frank, "projects", "submit", "frank-cohort")).ExitCode);

        var carol = _h.TokenOf("carol");
        var queue = await JsonAsync(carol, "review", "list");
        Assert.Equal("frank-cohort", Assert.Single(queue.EnumerateArray()).GetProperty("id").GetString());
        var table = await HygieAsync(carol, "review", "list");
        Assert.Contains("frank-cohort", table.Out);

        // The author cannot approve (role), a member reviewer could not either (rule): one line, exit 1.
        var refused = await HygieAsync(frank, "review", "approve", "frank-cohort", "--from", "2026-06-01", "--to", "2026-12-31");
        Assert.Equal(1, refused.ExitCode);
        Assert.Single(refused.Error.Trim().Split('\n'));
        Assert.Contains("reviewer", refused.Error);

        var approved = await HygieAsync(carol, "review", "approve", "frank-cohort", "--from", "2026-06-01", "--to", "2026-12-31", "--reason", "MR-004 conformity checked");
        Assert.Equal(0, approved.ExitCode);
        Assert.Contains("permit pmt-", approved.Out);

        var shown = await JsonAsync(frank, "projects", "show", "frank-cohort");
        Assert.Equal("approved", shown.GetProperty("status").GetString());
        Assert.Equal("active", shown.GetProperty("permit").GetProperty("state").GetString());
        var human = await HygieAsync(frank, "projects", "show", "frank-cohort");
        Assert.Contains("MR-004, declaration 2224987", human.Out);
        Assert.Contains("ER_PRS_F", human.Out);
        Assert.Contains("frank-cohort", (await HygieAsync(frank, "projects", "list")).Out);

        var erin = _h.TokenOf("erin");
        var review = await JsonAsync(erin, "access", "review");
        Assert.Contains(review.GetProperty("dataAccess").EnumerateArray(), a => a.GetProperty("user").GetString() == "frank");
        Assert.Contains("frank-cohort", (await HygieAsync(erin, "access", "review")).Out);
        var events = await JsonAsync(erin, "audit", "events", "--action", "review.approve");
        Assert.Equal("MR-004 conformity checked", Assert.Single(events.EnumerateArray()).GetProperty("reason").GetString());
        var operatorActions = await JsonAsync(erin, "audit", "events", "--operator");
        Assert.Contains(operatorActions.EnumerateArray(), e => e.GetProperty("action").GetString() == "user.add" && e.GetProperty("reason").GetString() == "new PhD student");
        Assert.DoesNotContain(operatorActions.EnumerateArray(), e => e.GetProperty("action").GetString() == "http.request");

        var optout = await HygieAsync(op, "optout", "add", "--nir", "285047512345607", "--reason", "letter");
        Assert.Equal(0, optout.ExitCode);
        Assert.DoesNotContain("285047512345607", optout.Out);
        var badNir = await HygieAsync(op, "optout", "add", "--nir", "285047512345608");
        Assert.Equal(1, badNir.ExitCode);
        Assert.Contains("key", badNir.Error);
        Assert.DoesNotContain("285047512345608", badNir.Error);

        var closed = await HygieAsync(frank, "projects", "close", "frank-cohort", "--reason", "finished");
        Assert.Equal(0, closed.ExitCode);
        Assert.Contains("destroyed", closed.Out);
        Assert.Equal(0, (await HygieAsync(frank, "projects", "publish", "frank-cohort", "--reference", "doi:10.1000/xyz")).ExitCode);

        var revoke = await HygieAsync(op, "tokens", "revoke", issued.GetProperty("token").GetProperty("id").GetString()!, "--reason", "left the lab");
        Assert.Equal(0, revoke.ExitCode);
        var after = await HygieAsync(frank, "projects", "list");
        Assert.Equal(1, after.ExitCode);
        Assert.Contains("401", after.Error);
    }

    [Fact]
    public async Task Bad_applications_and_bad_files_are_one_line_naming_the_field()
    {
        var alice = _h.TokenOf("alice");
        var application = Application();
        application.Remove("legalBasis");
        var file = _dir.Combine("no-basis.json");
        await File.WriteAllTextAsync(file, application.ToJsonString());
        var run = await HygieAsync(alice, "projects", "apply", "--file", file);
        Assert.Equal(1, run.ExitCode);
        Assert.Matches("^hygie: .*legal basis.*\\(field legalBasis\\) \\[400\\]$", run.Error.Trim());

        var broken = _dir.Combine("broken.json");
        await File.WriteAllTextAsync(broken, "{ \"title\": ");
        var parse = await HygieAsync(alice, "projects", "apply", "--file", broken);
        Assert.Equal(1, parse.ExitCode);
        Assert.Contains("not valid JSON", parse.Error);

        var missing = await HygieAsync(alice, "review", "refuse", "x");
        Assert.Equal(2, missing.ExitCode); // --reason is required: a usage error
    }
}
