using Hygie.Core.Catalog;
using Hygie.Core.Identity;
using Hygie.Governance.Projects;
using Hygie.Server.Endpoints;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Review;

/// <summary>
/// An application under review, the requested tables and columns side by side with the catalogue (what else each
/// table holds, what each column is), and the decision: approve with the permit's window, refuse, or request changes.
/// </summary>
[ConsoleRoles(Roles.Reviewer)]
public sealed class ApplicationModel(ProjectRegistry registry, IDatasetCatalog catalog, TimeProvider clock) : ConsolePage
{
    public Project Project { get; private set; } = null!;
    public ApplicationVersion? Version { get; private set; }
    public IReadOnlyDictionary<string, DatasetDescription?> Catalogue { get; private set; } = new Dictionary<string, DatasetDescription?>();

    [BindProperty] public string? From { get; set; }
    [BindProperty] public string? To { get; set; }
    [BindProperty] public string? Reason { get; set; }

    public Task OnGetAsync(string id, CancellationToken ct) => LoadAsync(id, ct);

    public Task<IActionResult> OnPostApproveAsync(string id, CancellationToken ct) => DecideAsync(id, ct, () =>
        registry.ApproveAsync(Actor, id, GovernanceEndpoints.Instant(From, "from", endOfDay: false), GovernanceEndpoints.Instant(To, "to", endOfDay: true),
            Blank(Reason), ct));

    public Task<IActionResult> OnPostRefuseAsync(string id, CancellationToken ct) => DecideAsync(id, ct, () => registry.RefuseAsync(Actor, id, Blank(Reason), ct));

    public Task<IActionResult> OnPostChangesAsync(string id, CancellationToken ct) => DecideAsync(id, ct, () => registry.RequestChangesAsync(Actor, id, Blank(Reason), ct));

    private async Task<IActionResult> DecideAsync(string id, CancellationToken ct, Func<Task<Project>> decide)
    {
        if (await TryAsync(decide)) return Redirect("/review");
        await LoadAsync(id, ct);
        return Refused();
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private async Task LoadAsync(string id, CancellationToken ct)
    {
        Project = await registry.GetForAsync(Actor, id, ct);
        Version = Project.Open ?? Project.Versions[^1];
        var catalogue = new Dictionary<string, DatasetDescription?>(StringComparer.OrdinalIgnoreCase);
        foreach (var d in Version.Application.Datasets ?? [])
            if (d.Dataset is not null) catalogue[d.Dataset] = await catalog.FindAsync(d.Dataset, ct);
        Catalogue = catalogue;
        From ??= Project.Open is null ? null : DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    }
}
