namespace Hygie.Ingest.Csv;

public sealed record CsvReadOptions
{
    /// <summary>The delimiter; null: detected from the header line among <c>;</c> <c>,</c> tab and <c>|</c> (the one
    /// whose split names the most schema fields, then the one giving the most fields).</summary>
    public char? Delimiter { get; init; }

    /// <summary>The file name used in errors.</summary>
    public string FileName { get; init; } = "input.csv";

    /// <summary>Rows per batch.</summary>
    public int BatchSize { get; init; } = 65_536;

    public RowErrorMode OnError { get; init; } = RowErrorMode.Fail;

    /// <summary>How many row errors are collected (and reported) at most; in <see cref="RowErrorMode.Fail"/>, reading
    /// stops when this many are found.</summary>
    public int MaxErrors { get; init; } = 100;

    /// <summary>Columns of the header that the schema does not have are skipped instead of refusing the input.</summary>
    public bool IgnoreExtraColumns { get; init; }

    /// <summary>Schema fields absent from the header are allowed (unless required) instead of refusing the input.</summary>
    public bool AllowMissingColumns { get; init; }

    /// <summary>Also check <c>minimum</c>, <c>maximum</c>, <c>enum</c> and <c>minLength</c> constraints. Off by default:
    /// the published SNDS schemas' ranges contradict real codes (a 13-digit CIP code under a maximum of 9,999,999).</summary>
    public bool EnforceConstraints { get; init; }

    /// <summary>Longest row accepted, in bytes (quoted fields included).</summary>
    public int MaxRowBytes { get; init; } = 1 << 20;

    /// <summary>Read buffer size.</summary>
    public int BufferSize { get; init; } = 1 << 20;

    public static CsvReadOptions Default { get; } = new();
}
