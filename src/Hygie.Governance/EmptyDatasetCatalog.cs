using Hygie.Core.Catalog;

namespace Hygie.Governance;

/// <summary>The catalogue of a hub that hosts no deposit module: it holds nothing, so every application asking for a dataset is refused.</summary>
public sealed class EmptyDatasetCatalog : IDatasetCatalog
{
    public Task<DatasetDescription?> FindAsync(string dataset, CancellationToken ct = default) => Task.FromResult<DatasetDescription?>(null);

    public Task<IReadOnlyList<DatasetDescription>> ListAsync(CancellationToken ct = default) => Task.FromResult<IReadOnlyList<DatasetDescription>>([]);
}
