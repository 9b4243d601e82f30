using Hygie.Server.Modules;
using Hygie.Web.Console;

namespace Hygie.Web;

/// <summary>
/// What <c>hygie serve</c> hosts: every module of the server and, over them, the web console. The console depends on
/// the server (it calls the same services), never the other way: the composition lives here, above both.
/// </summary>
public static class ServedModules
{
    public static IReadOnlyList<IHubModule> All { get; } = [.. HubModules.All, new ConsoleModule()];

    public static IReadOnlyList<Storage.Metadata.Migration> Migrations => All.SelectMany(m => m.Migrations).ToList();
}
