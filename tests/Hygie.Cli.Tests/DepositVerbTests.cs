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
