using System.CommandLine;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;

namespace Hygie.Cli.Commands;

public static class InitCommand
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var site = new SiteOptions();
        var command = new Command("init", "create a new hub in --data: keyring, stores and the operator token (shown once); --country, --jurisdiction, --qualification declare where it runs");
        site.AddTo(command);
        command.SetHandler(console, async (parse, ct) =>
        {
            var (hub, token) = await Hub.InitAsync(parse.GetValue(g.Data)!, new HubOpenOptions { Migrations = HubModules.Migrations, Site = site.Read(parse) }, ct);
            await using (hub) Report(console, parse.GetValue(g.Json), hub, token.Secret);
            return HygieCli.Ok;
        });
        return command;
    }

    public static void Report(CliConsole console, bool json, Hub hub, string operatorToken)
    {
        if (json)
        {
            console.WriteJson(new { hubId = hub.HubId, dataDirectory = hub.DataDirectory, operatorToken });
            return;
        }
        console.Line($"Created hub {hub.HubId} in {hub.DataDirectory}");
        console.Line($"Operator token (shown once, only its hash is kept): {operatorToken}");
        console.Line("  export HYGIE_TOKEN=<that token> to use the CLI as operator");
    }
}
