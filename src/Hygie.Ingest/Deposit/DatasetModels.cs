using Hygie.Core.Catalog;

namespace Hygie.Ingest.Deposit;

/// <param name="Profile">the dataset's de-identification profile (the JSON of a <c>DeidentificationProfile</c> for
/// snds, of a <c>FhirDeidentificationProfile</c> for fhir); null: the hub's default for the kind.</param>
public sealed record NewDataset(string? Name, string? Kind, string? Classification, string? Description = null,
    DateOnly? CoverageStart = null, DateOnly? CoverageEnd = null, System.Text.Json.JsonElement? Profile = null);

/// <summary>A dataset as <c>datasets show</c> gives it: the catalogue entry, its deposits and the creation.</summary>
/// <param name="Profile">the de-identification profile deposits apply (the dataset's own, or the kind's default), as JSON.</param>
public sealed record DatasetDetails(DatasetDescription Dataset, DateTimeOffset Created, string CreatedBy, IReadOnlyList<DepositSummary> Deposits,
    string? Profile = null);

public sealed record DepositSummary(string Id, string Table, string Producer, DateTimeOffset Started, DateTimeOffset Finished, string Status,
    long RowsRead, long RowsStored, long RowsRejected, long Persons, IReadOnlyList<StoredTablePart> Parts, string? Report);

/// <param name="Delimiter">null: detected from the header.</param>
/// <param name="Quarantine">store the good rows and seal the bad ones into a quarantine object.</param>
/// <param name="Schema">the producer's own Frictionless Table Schema of the table; null: the hub's built-in definition.</param>
public sealed record SndsDepositRequest(string Table, char? Delimiter = null, bool Quarantine = false, string? FileName = null,
    Schemas.TableSchema? Schema = null);

/// <summary>What a deposit did. Never holds a value of the input: errors name file, line, column, value class, rule.</summary>
public sealed record DepositReport(string DepositId, string Dataset, string Table, string Status, long RowsRead, long RowsStored,
    long RowsRejected, long Persons, IReadOnlyList<StoredTablePart> Parts, IReadOnlyList<IDictionary<string, object?>> Errors,
    string? QuarantineObject);

/// <summary>One file of a deposit, streamed: its name (named in errors) and its content.</summary>
public sealed record DepositFile(string Name, Stream Content);

/// <summary>
/// What a FHIR deposit did: resources read, stored, dropped by the profile (types that do not belong to a patient) and
/// rejected (no patient to attach them to) per type, duplicates kept once, rows and persons per table, the sealed
/// parts (Parquet per table, NDJSON per resource type). Never holds a value of the input.
/// </summary>
public sealed record FhirDepositReport(string DepositId, string Dataset, string Status, IReadOnlyList<string> Files,
    IReadOnlyDictionary<string, long> ResourcesRead, IReadOnlyDictionary<string, long> ResourcesStored,
    IReadOnlyDictionary<string, long> ResourcesDropped, long Duplicates, long Rejected,
    IReadOnlyList<IDictionary<string, object?>> RejectedResources, IReadOnlyDictionary<string, FhirTableReport> Tables,
    long Persons, IReadOnlyList<StoredTablePart> Parts);

public sealed record FhirTableReport(long Rows, long Persons, int Parts);
