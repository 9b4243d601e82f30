using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace Hygie.Ingest.Fhir;

/// <summary>What a <c>Reference.reference</c> points at, as far as a deposit is concerned.</summary>
public enum FhirReferenceKind
{
    /// <summary><c>#id</c>: a resource contained in the same resource.</summary>
    Contained,
    /// <summary><c>urn:uuid:…</c> or <c>urn:oid:…</c>: the <c>fullUrl</c> of another entry of the deposit.</summary>
    Urn,
    /// <summary><c>Type/id</c> (a version, <c>/_history/n</c>, is ignored): a resource of the deposit.</summary>
    Relative,
    /// <summary>An absolute URL: an entry's <c>fullUrl</c> when one matches, otherwise a resource outside the hub.</summary>
    Absolute,
    /// <summary><c>Type?criteria</c>: a conditional reference, which only a FHIR server's search can resolve.</summary>
    Search,
    /// <summary>Not a reference a deposit understands (unknown type, malformed).</summary>
    Invalid,
}

/// <summary>Reference and <c>fullUrl</c> forms, normalized so that equal targets compare equal.</summary>
public static partial class FhirReference
{
    [GeneratedRegex("^([A-Z][A-Za-z]+)/([A-Za-z0-9\\-\\.]{1,64})(/_history/[A-Za-z0-9\\-\\.]{1,64})?$")]
    private static partial Regex RelativePattern();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*://")]
    private static partial Regex AbsolutePattern();

    /// <summary>Whether <paramref name="type"/> is an R4 resource type, spelled as FHIR spells it (the SDK's own lookup
    /// ignores case; FHIR does not).</summary>
    public static bool IsResourceType(string type) =>
        ModelInfo.IsKnownResource(type) && ModelInfo.GetTypeForFhirType(type) is { } clr && ModelInfo.GetFhirTypeNameForType(clr) == type;

    /// <summary>The kind of <paramref name="reference"/> and its key: the contained id, the normalized URN or URL, or
    /// <c>Type/id</c>.</summary>
    public static (FhirReferenceKind Kind, string Key) Classify(string reference)
    {
        if (reference.StartsWith('#')) return (FhirReferenceKind.Contained, reference[1..]);
        if (reference.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase) || reference.StartsWith("urn:oid:", StringComparison.OrdinalIgnoreCase))
            return (FhirReferenceKind.Urn, NormalizeUrl(reference));
        if (reference.IndexOf('?') is var q and > 0)
        {
            var type = reference[..q];
            return !type.Contains('/') && !IsResourceType(type) ? (FhirReferenceKind.Invalid, type) : (FhirReferenceKind.Search, reference);
        }
        if (RelativePattern().Match(reference) is { Success: true } m)
            return IsResourceType(m.Groups[1].Value)
                ? (FhirReferenceKind.Relative, $"{m.Groups[1].Value}/{m.Groups[2].Value}")
                : (FhirReferenceKind.Invalid, m.Groups[1].Value);
        if (AbsolutePattern().IsMatch(reference)) return (FhirReferenceKind.Absolute, NormalizeUrl(reference));
        return (FhirReferenceKind.Invalid, "");
    }

    /// <summary>A <c>fullUrl</c> or absolute reference as compared: <c>urn:uuid</c> in lower case (UUIDs are
    /// case-insensitive), a RESTful URL without its <c>/_history/n</c>.</summary>
    public static string NormalizeUrl(string url)
    {
        if (url.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase)) return url.ToLowerInvariant();
        if (url.StartsWith("urn:", StringComparison.OrdinalIgnoreCase)) return url;
        var history = url.IndexOf("/_history/", StringComparison.Ordinal);
        return history > 0 ? url[..history] : url;
    }

    /// <summary>The <c>Type/id</c> a RESTful absolute URL ends with (<c>http://x/fhir/Patient/1</c>), or null.</summary>
    public static string? RestfulTail(string url)
    {
        var parts = NormalizeUrl(url).Split('/');
        if (parts.Length < 2) return null;
        var candidate = $"{parts[^2]}/{parts[^1]}";
        return Classify(candidate) is (FhirReferenceKind.Relative, var key) ? key : null;
    }

    /// <summary>What a message may say about a reference: its kind and, for a typed one, the target type — not the id.</summary>
    public static string Describe(FhirReferenceKind kind, string key) => kind switch
    {
        FhirReferenceKind.Relative => $"a {key[..key.IndexOf('/')]}",
        FhirReferenceKind.Urn => "a urn:uuid/urn:oid fullUrl",
        FhirReferenceKind.Contained => "a contained resource",
        FhirReferenceKind.Absolute => "an absolute URL",
        _ => "a resource",
    };
}
