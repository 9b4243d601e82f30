using System.CommandLine;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;

namespace Hygie.Cli;

/// <summary>How verbs reach the hub: operator verbs open the stores directly, user verbs go through the API.</summary>
public static class HubAccess
{
    public static Task<Hub> OpenAsync(ParseResult parse, GlobalOptions g, CancellationToken ct) =>
        Hub.OpenAsync(parse.GetValue(g.Data)!, new HubOpenOptions { Migrations = HubModules.Migrations }, ct);

    public static HubClient Client(ParseResult parse, GlobalOptions g) =>
        new(parse.GetValue(g.Server)!, parse.GetValue(g.Token));
}
