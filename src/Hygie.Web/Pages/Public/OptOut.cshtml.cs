using Hygie.Governance.Registry;

namespace Hygie.Web.Pages.Public;

/// <summary>How a citizen objects to the use of their data, and the projects where an objection does not apply (and why).</summary>
public sealed class OptOutModel(PublicRegistry registry) : ConsolePage
{
    public IReadOnlyList<PublicProject> Exempt { get; private set; } = [];
    public int Applies { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        var projects = await registry.ProjectsAsync(ct);
        Exempt = projects.Where(p => !p.LegalBasis.ObjectionApplies).ToList();
        Applies = projects.Count - Exempt.Count;
    }
}
