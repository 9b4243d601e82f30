using Hygie.Core.Catalog;

namespace Hygie.Analytics;

/// <summary>One table of a workspace, as the permit allows it.</summary>
/// <param name="Name">the table's name inside the workspace.</param>
/// <param name="Columns">granted columns, as stored (the person column is handled apart).</param>
/// <param name="PersonColumn">name given to the project pseudonym (<c>NUM_ENQ</c> for SNDS tables); null when the table has no person.</param>
/// <param name="DateColumn">the column that places a row in time; rows outside [From, To] are not loaded.</param>
/// <param name="Parts">the table's Parquet files, opened (unsealed) on demand.</param>
/// <param name="ResourceKeyColumns">granted columns holding hub pseudonyms of resources (a FHIR table's <c>id</c> and
/// references), re-keyed to the project's own, consistently across the workspace's tables.</param>
public sealed record WorkspaceTableSpec(
    string Name,
    IReadOnlyList<string> Columns,
    string? PersonColumn,
    string? DateColumn,
    DateOnly? From,
    DateOnly? To,
    IReadOnlyList<WorkspacePart> Parts,
    IReadOnlyList<string>? ResourceKeyColumns = null);

/// <summary>One Parquet file of a table, opened (unsealed) on demand: a seekable stream has only the columns a load
/// reads unsealed and staged, another is staged whole.</summary>
/// <param name="OpenPersons">the part's persons object (see <see cref="StoredTablePart.PersonsObjectId"/>), when it
/// has one: its rows then join their persons on <see cref="StoredColumns.PersonIndex"/>, not on the pseudonym.</param>
public sealed record WorkspacePart(Func<CancellationToken, Task<Stream>> Open, Func<CancellationToken, Task<Stream>>? OpenPersons = null);

public sealed record WorkspaceLimits
{
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public string MemoryLimit { get; init; } = "4GB";
    public int Threads { get; init; } = Math.Max(1, Environment.ProcessorCount);
    public int MaxPageSize { get; init; } = 1000;
}

public sealed record WorkspaceColumn(string Name, string Type);

public sealed record WorkspaceTableInfo(string Name, long Rows, IReadOnlyList<WorkspaceColumn> Columns);

/// <summary>One page of a result: rows stay inside the hub and are shown in pages only.</summary>
public sealed record QueryPage(IReadOnlyList<WorkspaceColumn> Columns, IReadOnlyList<object?[]> Rows, int Page, int PageSize, bool HasMore, TimeSpan Elapsed);
