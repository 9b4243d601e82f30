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
        var token = await RunAsync("tenants", "token", "clinic-a", "--scope", "user/*.*");
        Assert.Equal(0, token.Code);
        Assert.StartsWith("hyg_", token.Out.Trim());
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
