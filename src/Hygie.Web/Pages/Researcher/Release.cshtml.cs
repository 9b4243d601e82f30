using Hygie.Core.Identity;
using Hygie.Server.Analysis;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Researcher;

/// <summary>One release request: its disclosure report, its votes and state; the published CSV once two reviewers released it.</summary>
[ConsoleRoles(Roles.Researcher)]
public sealed class ReleaseModel(Airlock airlock) : ConsolePage
{
    public ReleaseView Release { get; private set; } = null!;

    public async Task OnGetAsync(string id, CancellationToken ct) => Release = await airlock.GetAsync(Subject, UserRoles.ToList(), id, ct);

    public async Task<IActionResult> OnGetDownloadAsync(string id, CancellationToken ct) =>
        File(await airlock.DownloadAsync(Subject, id, "csv", ct), "text/csv", $"{id}.csv");
}
