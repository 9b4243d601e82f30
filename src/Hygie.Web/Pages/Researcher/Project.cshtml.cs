using Hygie.Core.Identity;
using Hygie.Governance.Permits;
using Hygie.Governance.Projects;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Researcher;

/// <summary>A researcher's project: its versions and decisions, the permit in force (dates, tables, columns), submission.</summary>
[ConsoleRoles(Roles.Researcher)]
public sealed class ProjectModel(ProjectRegistry registry) : ConsolePage
{
    public Project Project { get; private set; } = null!;

    public bool CanSubmit => Project.Author == Subject && Project.Versions[^1].Status is ApplicationStatus.Draft or ApplicationStatus.ChangesRequested;
    public bool CanAmend => Project.Author == Subject && Project.Status is not (ProjectStatus.Closed or ProjectStatus.Refused or ProjectStatus.Revoked)
                            && Project.Versions[^1].Status != ApplicationStatus.Submitted;
    public bool Member => Project.Permit is { State: PermitStates.Active } p && p.Members.Contains(Subject, StringComparer.Ordinal);

    public async Task OnGetAsync(string id, CancellationToken ct) => Project = await registry.GetForAsync(Actor, id, ct);

    public async Task<IActionResult> OnPostSubmitAsync(string id, CancellationToken ct)
    {
        if (await TryAsync(() => registry.SubmitAsync(Actor, id, ct))) return Redirect($"/me/projects/{id}");
        Project = await registry.GetForAsync(Actor, id, ct);
        return Refused();
    }
}
