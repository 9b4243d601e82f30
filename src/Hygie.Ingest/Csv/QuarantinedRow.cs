namespace Hygie.Ingest.Csv;

/// <summary>A refused row, raw as read (bytes of its line(s), no line terminator), for the producer's quarantine object.
/// Holds data: seal it, never log it.</summary>
public sealed record QuarantinedRow(long Line, byte[] Raw, IReadOnlyList<RowError> Errors);
