using Hygie.Core.Catalog;

namespace Hygie.Ingest.Deposit;

public sealed record NewDataset(string? Name, string? Kind, string? Classification, string? Description = null,
    DateOnly? CoverageStart = null, DateOnly? CoverageEnd = null);

/// <summary>A dataset as <c>datasets show</c> gives it: the catalogue entry, its deposits and the creation.</summary>
public sealed record DatasetDetails(DatasetDescription Dataset, DateTimeOffset Created, string CreatedBy, IReadOnlyList<DepositSummary> Deposits);

public sealed record DepositSummary(string Id, string Table, string Producer, DateTimeOffset Started, DateTimeOffset Finished, string Status,
    long RowsRead, long RowsStored, long RowsRejected, long Persons, IReadOnlyList<StoredTablePart> Parts, string? Report);

/// <param name="Delimiter">null: detected from the header.</param>
/// <param name="Quarantine">store the good rows and seal the bad ones into a quarantine object.</param>
public sealed record SndsDepositRequest(string Table, char? Delimiter = null, bool Quarantine = false, string? FileName = null);

/// <summary>What a deposit did. Never holds a value of the input: errors name file, line, column, value class, rule.</summary>
public sealed record DepositReport(string DepositId, string Dataset, string Table, string Status, long RowsRead, long RowsStored,
    long RowsRejected, long Persons, IReadOnlyList<StoredTablePart> Parts, IReadOnlyList<IDictionary<string, object?>> Errors,
    string? QuarantineObject);
