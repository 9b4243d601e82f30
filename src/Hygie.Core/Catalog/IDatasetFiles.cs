namespace Hygie.Core.Catalog;

/// <summary>
/// Where a table's data lives: its committed Parquet parts, each a sealed object. Every part holds the catalogue's
/// columns under their own names and, for tables with persons, a <c>person_id</c> column of hub pseudonyms.
/// Written by deposit, read by analysis to build workspaces.
/// </summary>
public interface IDatasetFiles
{
    /// <summary>The committed parts of <paramref name="table"/>, in deposit order; empty when the table holds no data.</summary>
    Task<IReadOnlyList<StoredTablePart>> PartsAsync(string dataset, string table, CancellationToken ct = default);
}

public sealed record StoredTablePart(string ObjectId, long Rows, long Persons, string SealDigest, string DepositId);
