using System.CommandLine;
using Hygie.Storage.Locations;

namespace Hygie.Cli.Commands;

public static class PolicyCommands
{
    public static Command Create(GlobalOptions g, CliConsole console)
    {
        var policy = new Command("policy", "the placement policy: which locations may hold which classification of data");
        var show = new Command("show", "print the hub's placement policy");
        show.SetHandler(console, async (parse, ct) =>
        {
            await using var hub = await HubAccess.OpenAsync(parse, g, ct);
            Print(console, parse.GetValue(g.Json), await hub.Locations.GetPolicyAsync(ct));
            return HygieCli.Ok;
        });

        var file = new Option<string?>("--file") { Description = "a policy document (JSON: name, rules [{classification, requires, euJurisdiction, eea}], holds)" };
        var useDefault = new Option<bool>("--default") { Description = "the default policy: SNDS needs SecNumCloud + HDS + EU law + EEA; clinical needs HDS + EEA" };
        var development = new Option<bool>("--development") { Description = "the development policy: any location for everything (demo hubs only, never real data)" };
        var set = new Command("set", "replace the hub's placement policy (audited)") { file, useDefault, development };
        set.SetHandler(console, async (parse, ct) =>
        {
            var chosen = new[] { parse.GetValue(file) is not null, parse.GetValue(useDefault), parse.GetValue(development) }.Count(x => x);
            if (chosen != 1) return console.Fail("give exactly one of --file, --default or --development");
            PolicyDocument document;
            if (parse.GetValue(file) is { } path)
            {
                if (!File.Exists(path)) return console.Fail($"no such file: {path}");
                document = PolicyDocument.Parse(await File.ReadAllTextAsync(path, ct), path);
            }
            else document = parse.GetValue(useDefault) ? PolicyDocument.Default : PolicyDocument.DevelopmentPolicy;
            await using var hub = await HubAccess.OpenAsync(parse, g, ct);
            await hub.Locations.SetPolicyAsync(document, "operator-cli", ct);
            Print(console, parse.GetValue(g.Json), document);
            return HygieCli.Ok;
        });
        policy.Subcommands.Add(show);
        policy.Subcommands.Add(set);
        return policy;
    }

    private static void Print(CliConsole console, bool json, PolicyDocument policy)
    {
        if (json) { console.WriteJson(policy); return; }
        console.Line($"Placement policy '{policy.Name}'{(policy.Development ? " — DEVELOPMENT POLICY, not for real health data" : "")}");
        if (policy.Description is not null) console.Line($"  {policy.Description}");
        console.Table(["classification", "a location must have"], policy.Rules.Select(r => new[] { r.Classification, r.Text }));
        console.Line($"The hub holds: {string.Join(", ", policy.HeldClassifications)}{(policy.RefuseUnknownClassifications ? "; other classifications are refused" : "")}");
    }
}
