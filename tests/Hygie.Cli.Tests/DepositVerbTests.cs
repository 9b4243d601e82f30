using Hygie.Core.Identity;
using Hygie.Testing;

namespace Hygie.Cli.Tests;

public class DepositVerbTests
{
    [Fact]
    public async Task Datasets_create_deposit_and_show_through_the_cli()
    {
        await using var server = await RunningServer.StartAsync();
        var url = server.BaseAddress.ToString();
        var created = await CliRunner.RunAsync("datasets", "create", "snds-2019", "--kind", "snds", "--classification", "snds", "--server", url, "--token", server.Hub.OperatorToken);
        Assert.True(created.ExitCode == 0, created.Error);
        var producer = await server.IssueTokenAsync("cnam", Roles.Producer);
        var file = TestData.PathOf("snds-synthetic", "ER_PRS_F.csv");
        var deposit = await CliRunner.RunAsync("deposit", "snds-2019", "ER_PRS_F", file, "--server", url, "--token", producer);
        Assert.True(deposit.ExitCode == 0, deposit.Error);
        Assert.Contains("238 stored", deposit.Out);
        var show = await CliRunner.RunAsync("datasets", "show", "snds-2019", "--server", url, "--token", server.Hub.OperatorToken);
        Assert.True(show.ExitCode == 0, show.Error);
        Assert.Contains("ER_PRS_F", show.Out);
        var refused = await CliRunner.RunAsync("deposit", "snds-2019", "NO_TABLE", file, "--server", url, "--token", producer);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("unknown table", refused.Error);
    }
}

public class FhirDepositVerbTests
{
    [Fact]
    public async Task Deposit_fhir_streams_several_files_as_one_deposit_and_a_refusal_is_one_line()
    {
        await using var server = await RunningServer.StartAsync();
        var url = server.BaseAddress.ToString();
        var op = server.Hub.OperatorToken;
        var created = await CliRunner.RunAsync("datasets", "create", "clinical", "--kind", "fhir", "--classification", "clinical", "--server", url, "--token", op);
        Assert.True(created.ExitCode == 0, created.Error);
        var producer = await server.IssueTokenAsync("chu", Roles.Producer);
        var bundles = Directory.GetFiles(TestData.PathOf("fhir-synthea-r4"), "*.json").Order(StringComparer.Ordinal).Take(3).ToArray();
        var deposit = await CliRunner.RunAsync(["deposit", "clinical", "--fhir", .. bundles, "--server", url, "--token", producer]);
        Assert.True(deposit.ExitCode == 0, deposit.Error);
        Assert.Contains("3 file(s) into clinical", deposit.Out);
        Assert.Contains("3 persons", deposit.Out);
        Assert.Contains("patient 3", deposit.Out);

        var json = await CliRunner.RunAsync(["deposit", "clinical", "--fhir", bundles[0], "--json", "--server", url, "--token", producer]);
        Assert.True(json.ExitCode == 0, json.Error);
        Assert.Equal("stored", System.Text.Json.JsonDocument.Parse(json.Out).RootElement.GetProperty("status").GetString());

        var show = await CliRunner.RunAsync("datasets", "show", "clinical", "--server", url, "--token", op);
        Assert.Contains("observation", show.Out);
        Assert.Contains("fhir", show.Out);

        var invalid = TestData.PathOf("fhir-ms-edgecases", "Bundle-TransactionWithForeignReferenceInResourceBody.json");
        var refused = await CliRunner.RunAsync(["deposit", "clinical", "--fhir", bundles[1], invalid, "--server", url, "--token", producer]);
        Assert.Equal(1, refused.ExitCode);
        var line = Assert.Single(refused.Error.Trim().Split('\n'));
        Assert.Contains("Bundle-TransactionWithForeignReferenceInResourceBody.json, entry 0 (Observation): Observation.subject", line);

        var both = await CliRunner.RunAsync(["deposit", "clinical", "ER_PRS_F", bundles[0], "--fhir", bundles[1], "--server", url, "--token", producer]);
        Assert.Equal(1, both.ExitCode);
        Assert.Contains("either TABLE FILE", both.Error);
        var missing = await CliRunner.RunAsync(["deposit", "clinical", "--fhir", "/no/such/file.json", "--server", url, "--token", producer]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no file", missing.Error);
    }

    [Fact]
    public async Task Deposit_snds_with_schema_sends_the_producers_schema_before_the_csv()
    {
        await using var server = await RunningServer.StartAsync();
        var url = server.BaseAddress.ToString();
        Assert.Equal(0, (await CliRunner.RunAsync("datasets", "create", "dcir", "--kind", "snds", "--classification", "snds", "--server", url, "--token", server.Hub.OperatorToken)).ExitCode);
        var producer = await server.IssueTokenAsync("cnam", Roles.Producer);
        var dir = TestData.PathOf("snds-schemas", "DCIR");
        var deposit = await CliRunner.RunAsync("deposit", "dcir", "ER_PRS_F", Path.Combine(dir, "ER_PRS_F.csv"), "--schema", Path.Combine(dir, "ER_PRS_F.json"), "--server", url, "--token", producer);
        Assert.True(deposit.ExitCode == 0, deposit.Error);
        Assert.Contains("10 stored", deposit.Out);
        var wrong = await CliRunner.RunAsync("deposit", "dcir", "ER_PRS_F", Path.Combine(dir, "ER_PRS_F.csv"), "--schema", Path.Combine(dir, "ER_PHA_F.json"), "--server", url, "--token", producer);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("describes table ER_PHA_F, not ER_PRS_F", wrong.Error);
    }
}
