using Hygie.Core.Identity;
using Hygie.Governance.Projects;
using Hygie.Server.Analysis;
using Hygie.Web.Console;

namespace Hygie.Web.Pages.Researcher;

/// <summary>A researcher's projects (those they wrote or are named on), their permits with dates, and their release requests.</summary>
[ConsoleRoles(Roles.Researcher)]
public sealed class IndexModel(ProjectRegistry registry, Airlock airlock) : ConsolePage
{
    public IReadOnlyList<Project> Projects { get; private set; } = [];
    public IReadOnlyDictionary<string, IReadOnlyList<ReleaseView>> Releases { get; private set; } = new Dictionary<string, IReadOnlyList<ReleaseView>>();

    public async Task OnGetAsync(CancellationToken ct)
    {
        Projects = (await registry.ListAsync(Actor, ct)).Where(p => p.Involves(Subject)).ToList();
        var releases = new Dictionary<string, IReadOnlyList<ReleaseView>>();
        foreach (var p in Projects.Where(p => p.KeyId is not null))
            releases[p.Id] = await airlock.ListAsync(Subject, UserRoles.ToList(), p.Id, ct);
        Releases = releases;
    }
}
