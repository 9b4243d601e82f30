using Hygie.Core.Identity;
using Hygie.Governance.Projects;
using Hygie.Server.Analysis;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Researcher;

/// <summary>A project's release requests and the form to request one: the airlock measures and checks it, two reviewers decide.</summary>
[ConsoleRoles(Roles.Researcher)]
public sealed class ReleasesModel(ProjectRegistry registry, Airlock airlock) : ConsolePage
{
    public Project Project { get; private set; } = null!;
    public IReadOnlyList<ReleaseView> Releases { get; private set; } = [];

    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Description { get; set; }
    [BindProperty] public string? Query { get; set; }
    [BindProperty] public string? By { get; set; }
    [BindProperty] public string? Sum { get; set; }

    public Task OnGetAsync(string id, CancellationToken ct) => LoadAsync(id, ct);

    public async Task<IActionResult> OnPostAsync(string id, CancellationToken ct)
    {
        var by = (By ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        ReleaseView? release = null;
        var done = await TryAsync(async () => release = await airlock.RequestAsync(Subject, id,
            new ReleaseRequest(Name, Description, Query, by, string.IsNullOrWhiteSpace(Sum) ? null : Sum.Trim()), ct),
            field => field is "name" or "query" ? field : "query");
        if (done) return Redirect($"/me/releases/{release!.Id}");
        await LoadAsync(id, ct);
        return Refused();
    }

    private async Task LoadAsync(string id, CancellationToken ct)
    {
        Project = await registry.GetForAsync(Actor, id, ct);
        Releases = await airlock.ListAsync(Subject, UserRoles.ToList(), id, ct);
    }
}
