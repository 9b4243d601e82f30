using Hl7.Fhir.Model;
using Hygie.Fhir.Search;

namespace Hygie.Fhir.Rest;

/// <summary>
/// One interaction, from a Bundle entry or a plain REST request: method, parsed URL (type, id, version, query or
/// operation), body, conditional headers — and, once run, its outcome.
/// </summary>
public sealed class EntryOperation
{
    public int Index { get; init; }
    public string? FullUrl { get; init; }
    public required string Method { get; init; }
    public required string Url { get; init; }
    public string Type { get; private set; } = "";
    public string? Id { get; set; }
    public string? VersionId { get; private set; }
    public string? Query { get; private set; }
    public string? Operation { get; private set; }
    public bool History { get; private set; }
    public Resource? Resource { get; set; }
    public byte[]? PatchBody { get; init; }

    /// <summary>The search index of <see cref="Resource"/>, when it could be computed before the write lock.</summary>
    public Search.ResourceIndex? PreparedIndex { get; set; }
    public string? PatchContentType { get; init; }
    public string? IfMatch { get; init; }
    public string? IfNoneExist { get; init; }
    public string? IfNoneMatch { get; init; }
    public string? IfModifiedSince { get; init; }

    /// <summary>Set when a conditional create matched an existing resource: nothing is written.</summary>
    public bool MatchedExisting { get; set; }

    /// <summary>A conditional delete that matched nothing: nothing is written.</summary>
    public bool NothingToDo { get; set; }

    public FhirException? Error { get; set; }
    public FhirResult? Result { get; set; }

    public bool IsWrite => Method is "POST" or "PUT" or "PATCH" or "DELETE";
    public bool IsConditional => Query is not null || IfNoneExist is not null;

    /// <summary>The resource this entry creates or changes, once known (<c>Type/id</c>).</summary>
    public string? Identity => Id is null ? null : $"{Type}/{Id}";

    /// <summary>
    /// Parses <see cref="Url"/> (relative to the tenant base, or absolute under it). Refuses routes FHIR does not
    /// define for the method with 400 naming the problem.
    /// </summary>
    public void ParseUrl(string baseUrl)
    {
        var url = Url.Trim();
        if (url.StartsWith(baseUrl, StringComparison.Ordinal)) url = url[baseUrl.Length..];
        else if (url.StartsWith('/')) url = url.TrimStart('/');
        else if (Uri.TryCreate(url, UriKind.Absolute, out var absolute) && absolute.Scheme is "http" or "https")
            throw FhirException.BadRequest($"request url '{Url}' is not under this tenant's base {baseUrl}");
        var question = url.IndexOf('?');
        var path = question < 0 ? url : url[..question];
        var query = question < 0 ? null : url[(question + 1)..];
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0) throw FhirException.BadRequest($"request url '{Url}' names no resource type");
        Type = segments[0];
        if (Type.StartsWith('$') || Type is "metadata" or "_history")
            throw FhirException.NotSupported($"requested operation '{Url}' is not supported in a Bundle entry using {Method}");
        if (!SearchParameterRegistry.IsKnownType(Type))
            throw FhirException.BadRequest($"'{Type}' is not a FHIR R4 resource type (request url '{Url}')");
        if (segments.Length >= 2)
        {
            if (segments[1].StartsWith('$'))
                throw FhirException.NotSupported($"requested operation '{segments[1]}' is not supported ({Method} {Url})");
            if (segments[1] == "_history")
            {
                History = true;
                if (segments.Length > 2) throw FhirException.BadRequest($"request url '{Url}' is not a FHIR route");
            }
            else
            {
                if (!ReferenceParts.IsValidId(segments[1])) throw FhirException.BadRequest($"'{segments[1]}' is not a valid resource id (request url '{Url}')");
                Id = segments[1];
            }
        }
        if (segments.Length >= 3)
        {
            if (segments[2] != "_history" || segments.Length > 4)
                throw segments[2].StartsWith('$')
                    ? FhirException.NotSupported($"requested operation '{segments[2]}' is not supported ({Method} {Url})")
                    : FhirException.BadRequest($"request url '{Url}' is not a FHIR route");
            History = segments.Length == 3;
            if (segments.Length == 4) VersionId = segments[3];
        }
        Query = string.IsNullOrEmpty(query) ? null : query;

        var ok = Method switch
        {
            "POST" => Id is null && !History && Query is null,
            "PUT" => !History && VersionId is null && (Id is not null || Query is not null),
            "PATCH" => !History && VersionId is null && (Id is not null || Query is not null),
            "DELETE" => !History && VersionId is null && (Id is not null || Query is not null),
            "GET" or "HEAD" => true,
            _ => false,
        };
        if (!ok) throw FhirException.BadRequest($"requested url '{Url}' is not supported using {Method}");
        // A PUT on Type/id with parameters (e.g. _meta-history=false) is a plain update: the parameters do not apply.
        if (Method == "PUT" && Id is not null) Query = null;
    }

    public IEnumerable<KeyValuePair<string, string>> QueryPairs() => QueryString.Parse(Query);

    public IEnumerable<KeyValuePair<string, string>> IfNoneExistPairs() => QueryString.Parse(IfNoneExist?.TrimStart('?'));
}

public static class QueryString
{
    /// <summary>Splits <c>a=1&amp;b=2</c> into decoded pairs (keys may repeat).</summary>
    public static IEnumerable<KeyValuePair<string, string>> Parse(string? query)
    {
        if (string.IsNullOrEmpty(query)) yield break;
        foreach (var part in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            yield return new(Decode(key), Decode(value));
        }
    }

    private static string Decode(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    public static string Encode(IEnumerable<KeyValuePair<string, string>> pairs) =>
        string.Join("&", pairs.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));
}
