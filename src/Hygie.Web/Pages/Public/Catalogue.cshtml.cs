using Hygie.Governance.Registry;

namespace Hygie.Web.Pages.Public;

/// <summary>The dataset catalogue: tables, columns and their descriptions, coverage, counts rounded by the registry.</summary>
public sealed class CatalogueModel(PublicRegistry registry) : ConsolePage
{
    public IReadOnlyList<PublicDataset> Datasets { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Datasets = await registry.DatasetsAsync(ct);
}
