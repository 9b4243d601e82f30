using System.Text.Json;
using Hl7.Fhir.Model;
using Hygie.Fhir.Serialization;

namespace Hygie.Fhir.Rest;

/// <summary>What an interaction answers: status, body (FHIR JSON) and the REST headers.</summary>
public sealed record FhirResult(int Status, byte[]? Body, string? Location = null, string? VersionId = null, DateTimeOffset? LastModified = null)
{
    public string ContentType { get; init; } = FhirMedia.Json;

    public string? ETag => VersionId is null ? null : $"W/\"{VersionId}\"";

    public static FhirResult Outcome(int status, params FhirIssue[] issues) => new(status, OperationOutcomeJson(issues));

    public static byte[] OperationOutcomeJson(IEnumerable<FhirIssue> issues)
    {
        var outcome = new OperationOutcome { Id = Guid.NewGuid().ToString() };
        foreach (var issue in issues)
        {
            outcome.Issue.Add(new OperationOutcome.IssueComponent
            {
                Severity = issue.Severity switch
                {
                    "fatal" => OperationOutcome.IssueSeverity.Fatal,
                    "warning" => OperationOutcome.IssueSeverity.Warning,
                    "information" => OperationOutcome.IssueSeverity.Information,
                    _ => OperationOutcome.IssueSeverity.Error,
                },
                Code = Hl7.Fhir.Utility.EnumUtility.ParseLiteral<OperationOutcome.IssueType>(issue.Code) ?? OperationOutcome.IssueType.Processing,
                Diagnostics = issue.Diagnostics,
                Expression = issue.Expression is null ? null! : [issue.Expression],
            });
        }
        return FhirJson.Serialize(outcome);
    }
}

public static class FhirMedia
{
    public const string Json = "application/fhir+json; charset=utf-8";
    public const string NdJson = "application/fhir+ndjson";
}

/// <summary>Writes Bundles with Utf8JsonWriter, embedding stored resource JSON as it is (no re-parse).</summary>
public sealed class BundleWriter : IDisposable
{
    private readonly MemoryStream _buffer = new(4096);
    private readonly Utf8JsonWriter _writer;
    private bool _entries;

    public BundleWriter(string type, long? total, DateTimeOffset now)
    {
        _writer = new Utf8JsonWriter(_buffer, FhirJson.WriterOptions);
        _writer.WriteStartObject();
        _writer.WriteString("resourceType", "Bundle");
        _writer.WriteString("id", Guid.NewGuid().ToString());
        _writer.WriteStartObject("meta");
        _writer.WriteString("lastUpdated", now.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));
        _writer.WriteEndObject();
        _writer.WriteString("type", type);
        if (total is not null) _writer.WriteNumber("total", total.Value);
    }

    public void Links(IEnumerable<(string Relation, string Url)> links)
    {
        var list = links.ToList();
        if (list.Count == 0) return;
        _writer.WriteStartArray("link");
        foreach (var (relation, url) in list)
        {
            _writer.WriteStartObject();
            _writer.WriteString("relation", relation);
            _writer.WriteString("url", url);
            _writer.WriteEndObject();
        }
        _writer.WriteEndArray();
    }

    /// <summary>One entry: raw resource JSON (or null), and optional search / request / response parts.</summary>
    public void Entry(string? fullUrl, ReadOnlySpan<byte> resource, string? searchMode = null, EntryRequest? request = null, EntryResponse? response = null,
        byte[]? outcome = null)
    {
        if (!_entries)
        {
            _writer.WriteStartArray("entry");
            _entries = true;
        }
        _writer.WriteStartObject();
        if (fullUrl is not null) _writer.WriteString("fullUrl", fullUrl);
        if (!resource.IsEmpty)
        {
            _writer.WritePropertyName("resource");
            _writer.WriteRawValue(resource, skipInputValidation: true);
        }
        if (searchMode is not null)
        {
            _writer.WriteStartObject("search");
            _writer.WriteString("mode", searchMode);
            _writer.WriteEndObject();
        }
        if (request is not null)
        {
            _writer.WriteStartObject("request");
            _writer.WriteString("method", request.Method);
            _writer.WriteString("url", request.Url);
            _writer.WriteEndObject();
        }
        if (response is not null)
        {
            _writer.WriteStartObject("response");
            _writer.WriteString("status", response.Status);
            if (response.Location is not null) _writer.WriteString("location", response.Location);
            if (response.ETag is not null) _writer.WriteString("etag", response.ETag);
            if (response.LastModified is not null) _writer.WriteString("lastModified", response.LastModified.Value.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ"));
            if (outcome is not null)
            {
                _writer.WritePropertyName("outcome");
                _writer.WriteRawValue(outcome, skipInputValidation: true);
            }
            _writer.WriteEndObject();
        }
        _writer.WriteEndObject();
    }

    public byte[] Finish()
    {
        if (_entries) _writer.WriteEndArray();
        _writer.WriteEndObject();
        _writer.Flush();
        return _buffer.ToArray();
    }

    public void Dispose()
    {
        _writer.Dispose();
        _buffer.Dispose();
    }
}

public sealed record EntryRequest(string Method, string Url);

public sealed record EntryResponse(string Status, string? Location = null, string? ETag = null, DateTimeOffset? LastModified = null);
