using System.CommandLine;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;

namespace Hygie.Cli.Commands;

public static class InitCommand
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var stores = new Option<string?>("--stores")
        {
            Description = "JSON file choosing the production stores: {\"metadata\":{\"provider\":\"postgresql\",\"settings\":{…}},\"objects\":…,\"vault\":…}",
        };
        var site = new SiteOptions();
        var command = new Command("init", "create a new hub in --data: vault keys, stores and the operator token (shown once); --country, --jurisdiction, --qualification declare where it runs") { stores };
        site.AddTo(command);
        command.SetHandler(console, async (parse, ct) =>
        {
            var choice = parse.GetValue(stores) is { } file ? ReadStores(file) : null;
            var (hub, token) = await Hub.InitAsync(parse.GetValue(g.Data)!,
                new HubOpenOptions { Migrations = HubModules.Migrations, Stores = choice, Site = site.Read(parse) }, ct);
            await using (hub) Report(console, parse.GetValue(g.Json), hub, token.Secret);
            return HygieCli.Ok;
        });
        return command;
    }

    internal static StoreChoice ReadStores(string file)
    {
        if (!File.Exists(file)) throw new CliException($"no such file: {file}");
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<StoreChoice>(File.ReadAllText(file), CliConsole.JsonOptions)
                   ?? throw new CliException($"{file} is empty");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CliException($"{file} is not a valid store choice (line {e.LineNumber + 1}): {e.Message.Split('.')[0]}");
        }
    }

    /// <param name="jsonLine">as one line of a JSON lines stream (<c>serve --json</c>) rather than an indented document.</param>
    public static void Report(CliConsole console, bool json, Hub hub, string operatorToken, bool jsonLine = false)
    {
        if (json)
        {
            var report = new { hubId = hub.HubId, dataDirectory = hub.DataDirectory, operatorToken };
            if (jsonLine) console.WriteJsonLine(report);
            else console.WriteJson(report);
            return;
        }
        console.Line($"Created hub {hub.HubId} in {hub.DataDirectory}");
        console.Line($"Operator token (shown once, only its hash is kept): {operatorToken}");
        console.Line("  export HYGIE_TOKEN=<that token> to use the CLI as operator");
    }
}
