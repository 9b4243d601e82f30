namespace Hygie.Core.Catalog;

/// <summary>
/// Where a table's data lives: its committed Parquet parts, each a sealed object. Every part holds the catalogue's
/// columns under their own names and, for tables with persons, a <see cref="StoredColumns.Person"/> column of hub
/// pseudonyms. Written by deposit, read by analysis to build workspaces.
/// </summary>
public interface IDatasetFiles
{
    /// <summary>The committed parts of <paramref name="table"/>, in deposit order; empty when the table holds no data.</summary>
    Task<IReadOnlyList<StoredTablePart>> PartsAsync(string dataset, string table, CancellationToken ct = default);
}

/// <param name="PersonsObjectId">the part's persons, for parts of tables with persons deposited with an index: a
/// sealed Parquet file of one <see cref="StoredColumns.Person"/> column, each of the part's persons once, in the order
/// of the part's <see cref="StoredColumns.PersonIndex"/> values. Null for parts without persons or deposited before
/// parts had an index (their rows are matched on the pseudonym itself).</param>
public sealed record StoredTablePart(string ObjectId, long Rows, long Persons, string SealDigest, string DepositId, string? PersonsObjectId = null);

/// <summary>The columns the hub adds to the parts of tables with persons.</summary>
public static class StoredColumns
{
    /// <summary>The row's person: a hub pseudonym.</summary>
    public const string Person = "person_id";

    /// <summary>
    /// The row's person as a number: its rank (from 0) among the persons of the part, who are listed in the part's
    /// persons object. A workspace joins rows to persons on this 4-byte number instead of the 64-character pseudonym.
    /// </summary>
    public const string PersonIndex = "person_index";
}
