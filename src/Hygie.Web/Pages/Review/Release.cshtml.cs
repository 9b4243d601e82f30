using Hygie.Core.Identity;
using Hygie.Server.Analysis;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Review;

/// <summary>Output checking: the published output beside its per-cell disclosure report, and the vote (approve, reject, return) with a comment.</summary>
[ConsoleRoles(Roles.Reviewer)]
public sealed class ReleaseModel(Airlock airlock) : ConsolePage
{
    public ReleaseView Release { get; private set; } = null!;
    [BindProperty] public string? Comment { get; set; }

    public bool CanVote => Release.State is Airlock.States.Submitted or Airlock.States.InReview && Release.Author != Subject
                           && !Release.Members.Contains(Subject) && Release.Votes.All(v => v.Reviewer != Subject);

    public async Task OnGetAsync(string id, CancellationToken ct) => Release = await airlock.GetAsync(Subject, UserRoles.ToList(), id, ct);

    public Task<IActionResult> OnPostApproveAsync(string id, CancellationToken ct) => VoteAsync(id, "approve", ct);
    public Task<IActionResult> OnPostRejectAsync(string id, CancellationToken ct) => VoteAsync(id, "reject", ct);
    public Task<IActionResult> OnPostReturnAsync(string id, CancellationToken ct) => VoteAsync(id, "return", ct);

    private async Task<IActionResult> VoteAsync(string id, string vote, CancellationToken ct)
    {
        var comment = string.IsNullOrWhiteSpace(Comment) ? null : Comment.Trim();
        if (await TryAsync(() => airlock.VoteAsync(Subject, UserRoles.ToList(), id, vote, comment, ct), _ => "comment")) return Redirect($"/review/releases/{id}");
        Release = await airlock.GetAsync(Subject, UserRoles.ToList(), id, ct);
        return Refused();
    }
}
