namespace Hygie.Ingest.Fhir;

/// <summary>
/// Where a resource came from in a deposit: the file, and the Bundle entry (0-based, as <c>Bundle.entry[n]</c>) or the
/// NDJSON line. Names no value of the resource: ids may be patient numbers, so they are not shown.
/// </summary>
public readonly record struct FhirLocation(string File, int? Entry, long Line, string? ResourceType)
{
    public FhirLocation WithType(string? type) => this with { ResourceType = type };

    public override string ToString()
    {
        var where = Entry is { } e ? $"{File}, entry {e}" : $"{File}, line {Line}";
        return ResourceType is null ? where : $"{where} ({ResourceType})";
    }

    /// <summary>The members a problem+json answer carries to locate the error.</summary>
    public void AddTo(IDictionary<string, object?> extensions)
    {
        extensions["file"] = File;
        if (Entry is { } e) extensions["entry"] = e;
        extensions["line"] = Line;
        if (ResourceType is not null) extensions["resourceType"] = ResourceType;
    }
}
