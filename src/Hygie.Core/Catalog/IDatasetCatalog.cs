namespace Hygie.Core.Catalog;

/// <summary>
/// What datasets the hub holds, their tables and columns: written by deposit, read by governance (to check what an
/// application asks for), analysis (to build workspaces) and the public catalogue.
/// </summary>
public interface IDatasetCatalog
{
    Task<DatasetDescription?> FindAsync(string dataset, CancellationToken ct = default);

    Task<IReadOnlyList<DatasetDescription>> ListAsync(CancellationToken ct = default);
}

/// <param name="Kind"><c>snds</c> or <c>fhir</c>.</param>
/// <param name="Classification">the sovereignty policy's class, e.g. <c>snds</c> or <c>clinical</c>.</param>
/// <param name="CoverageStart">first date of the data period covered (null when unknown).</param>
public sealed record DatasetDescription(
    string Name,
    string Kind,
    string Classification,
    string? Description,
    DateOnly? CoverageStart,
    DateOnly? CoverageEnd,
    IReadOnlyList<TableDescription> Tables)
{
    public TableDescription? Table(string name) => Tables.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
}

public sealed record TableDescription(string Name, string? Description, long Rows, long Persons, IReadOnlyList<ColumnDescription> Columns)
{
    public ColumnDescription? Column(string name) => Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <param name="IsPersonKey">the pseudonymized person column (<c>person_id</c>), re-keyed per project.</param>
/// <param name="DateColumn">the column that places a row in time, used to apply a permit's data period.</param>
/// <param name="IsResourceKey">a keyed pseudonym of a resource (a FHIR table's <c>id</c>, <c>encounter_id</c>), re-keyed
/// per project like persons, so that two projects cannot link their rows through it.</param>
public sealed record ColumnDescription(string Name, string Type, string? Description, bool IsPersonKey = false, bool DateColumn = false, bool IsResourceKey = false);
