using Hygie.Governance.Registry;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages;

/// <summary>The public registry of research projects: search and filters over what <see cref="PublicRegistry"/> publishes.</summary>
public sealed class IndexModel(PublicRegistry registry) : ConsolePage
{
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true)] public string? Basis { get; set; }
    [BindProperty(SupportsGet = true)] public string? Dataset { get; set; }

    public IReadOnlyList<PublicProject> All { get; private set; } = [];
    public IReadOnlyList<PublicProject> Shown { get; private set; } = [];
    public IReadOnlyList<string> Statuses { get; private set; } = [];
    public IReadOnlyList<string> Bases { get; private set; } = [];
    public IReadOnlyList<string> Datasets { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        All = await registry.ProjectsAsync(ct);
        Statuses = All.Select(p => p.Status).Distinct().Order(StringComparer.Ordinal).ToList();
        Bases = All.Select(p => p.LegalBasis.Kind).Distinct().Order(StringComparer.Ordinal).ToList();
        Datasets = All.SelectMany(p => p.Datasets.Select(d => d.Dataset)).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal).ToList();
        var words = (Q ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Shown = All
            .Where(p => string.IsNullOrEmpty(Status) || p.Status == Status)
            .Where(p => string.IsNullOrEmpty(Basis) || p.LegalBasis.Kind == Basis)
            .Where(p => string.IsNullOrEmpty(Dataset) || p.Datasets.Any(d => string.Equals(d.Dataset, Dataset, StringComparison.OrdinalIgnoreCase)))
            .Where(p => words.All(w => Matches(p, w)))
            .ToList();
    }

    private static bool Matches(PublicProject p, string word) =>
        new[] { p.Id, p.Title, p.Summary, p.Sponsor, p.LegalBasis.Reference }
            .Concat(p.Members.Select(m => m.Name)).Concat(p.Members.Select(m => m.Organisation ?? ""))
            .Any(text => text.Contains(word, StringComparison.CurrentCultureIgnoreCase));
}
