using Hygie.Core.Errors;
using Hygie.Governance.Registry;

namespace Hygie.Web.Pages.Public;

/// <summary>One project as the public registry shows it (a draft never submitted is not there).</summary>
public sealed class ProjectModel(PublicRegistry registry) : ConsolePage
{
    public PublicProject Project { get; private set; } = null!;

    public async Task OnGetAsync(string id, CancellationToken ct) =>
        Project = await registry.ProjectAsync(id, ct) ?? throw new NotFoundException($"project {id} is not in the public registry", "project-not-found");
}
