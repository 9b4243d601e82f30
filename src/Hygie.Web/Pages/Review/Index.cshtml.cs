using Hygie.Core.Identity;
using Hygie.Governance.Projects;
using Hygie.Server.Analysis;
using Hygie.Web.Console;

namespace Hygie.Web.Pages.Review;

/// <summary>The committee's work: applications waiting for a decision and releases waiting for a vote.</summary>
[ConsoleRoles(Roles.Reviewer)]
public sealed class IndexModel(ProjectRegistry registry, Airlock airlock) : ConsolePage
{
    public IReadOnlyList<Project> Applications { get; private set; } = [];
    public IReadOnlyList<ReleaseView> Releases { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Applications = await registry.ReviewQueueAsync(ct);
        Releases = await airlock.ReviewQueueAsync(Subject, UserRoles.ToList(), ct);
    }
}
