namespace Hygie.Storage.Objects;

/// <summary>Where an S3-compatible object store is and how to reach it. <see cref="ToString"/> never shows the secret.</summary>
public sealed record S3ObjectStoreOptions
{
    public const int MinPartSize = 5 << 20;
    public const int DefaultPartSize = 8 << 20;

    /// <summary>The service URL, e.g. <c>https://s3.fr-par.example.fr</c>; requests are path-style (<c>endpoint/bucket/key</c>).</summary>
    public required string Endpoint { get; init; }

    /// <summary>The signing region (<c>fr-par</c>, <c>eu-west-3</c>, <c>us-east-1</c> for most S3-compatible servers).</summary>
    public string Region { get; init; } = "us-east-1";

    public required string Bucket { get; init; }

    /// <summary>Optional folder inside the bucket holding this hub's objects (same characters as object keys).</summary>
    public string? KeyPrefix { get; init; }

    public required string AccessKey { get; init; }

    public required string SecretKey { get; init; }

    /// <summary>Objects up to this size go in one PUT; larger ones in a multipart upload of parts this size (at least 5 MiB).</summary>
    public int PartSize { get; init; } = DefaultPartSize;

    /// <summary>Parts uploading while the writer fills the next one.</summary>
    public int PartsInFlight { get; init; } = 2;

    /// <summary>Keys asked per list request (S3 answers at most 1000).</summary>
    public int ListPageSize { get; init; } = 1000;

    /// <summary>Retries of a failed request by the S3 client (connection refused, 5xx, throttling).</summary>
    public int MaxErrorRetry { get; init; } = 3;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    public override string ToString() => $"s3 {Endpoint} bucket {Bucket}{(KeyPrefix is null ? "" : $" prefix {KeyPrefix}")}";
}
