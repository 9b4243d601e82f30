using System.Text.RegularExpressions;

namespace Hygie.Fhir.Search;

/// <summary>A reference split into what the index needs: a local <c>Type/id</c>, or an external URL.</summary>
public readonly partial record struct ReferenceParts(string? Type, string? Id, string? Url)
{
    [GeneratedRegex(@"^(?<type>[A-Z][A-Za-z]+)/(?<id>[A-Za-z0-9\-\.]{1,64})(/_history/[A-Za-z0-9\-\.]{1,64})?$")]
    private static partial Regex Relative();

    [GeneratedRegex(@"^(?<base>https?://.+?)/(?<type>[A-Z][A-Za-z]+)/(?<id>[A-Za-z0-9\-\.]{1,64})(/_history/[A-Za-z0-9\-\.]{1,64})?$")]
    private static partial Regex Absolute();

    [GeneratedRegex(@"^[A-Za-z0-9\-\.]{1,64}$")]
    private static partial Regex IdPattern();

    public static bool IsValidId(string? id) => id is not null && IdPattern().IsMatch(id);

    public bool IsLocal => Url is null && Type is not null && Id is not null;

    /// <summary>Splits a Reference.reference value; contained (<c>#x</c>) references give null.</summary>
    public static ReferenceParts? Parse(string? reference)
    {
        if (string.IsNullOrEmpty(reference) || reference.StartsWith('#')) return null;
        var m = Relative().Match(reference);
        if (m.Success && SearchParameterRegistry.IsKnownType(m.Groups["type"].Value))
            return new ReferenceParts(m.Groups["type"].Value, m.Groups["id"].Value, null);
        m = Absolute().Match(reference);
        if (m.Success && SearchParameterRegistry.IsKnownType(m.Groups["type"].Value))
            return new ReferenceParts(m.Groups["type"].Value, m.Groups["id"].Value, reference);
        return new ReferenceParts(null, null, reference);
    }

    /// <summary>The base URL of an absolute REST reference (before <c>/Type/id</c>), or null.</summary>
    public static string? BaseOf(string reference)
    {
        var m = Absolute().Match(reference);
        return m.Success ? m.Groups["base"].Value : null;
    }
}
