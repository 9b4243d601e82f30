namespace Hygie.Core.Sovereignty;

/// <summary>
/// A place that holds some of the hub's bytes — metadata store, object store, key vault or backup target — declared by
/// the operator with who runs it, where, under which law, and which qualifications it holds.
/// </summary>
/// <param name="Kind"><c>metadata</c>, <c>objects</c>, <c>vault</c> or <c>backup</c>.</param>
/// <param name="Country">ISO 3166-1 alpha-2 country code of the data centres.</param>
/// <param name="Jurisdiction">whether the provider is subject to EU law only, or also exposed to extra-EU law.</param>
/// <param name="Qualifications">e.g. <c>HDS</c>, <c>SecNumCloud</c>.</param>
public sealed record Location(
    string Name,
    string Kind,
    string Provider,
    string Country,
    Jurisdiction Jurisdiction,
    IReadOnlySet<string> Qualifications,
    string? Description = null)
{
    public bool Has(string qualification) => Qualifications.Contains(qualification, StringComparer.OrdinalIgnoreCase);

    public bool InEea => Sovereignty.Countries.Eea.Contains(Country.ToUpperInvariant());
}

public enum Jurisdiction
{
    /// <summary>The provider and its parents answer to EU law only.</summary>
    EuOnly,

    /// <summary>The provider is exposed to a non-EU law with extraterritorial reach (e.g. the US CLOUD Act).</summary>
    ExtraEuExposed,
}

public static class Qualifications
{
    public const string Hds = "HDS";
    public const string SecNumCloud = "SecNumCloud";
}

public static class Countries
{
    /// <summary>The European Economic Area: the 27 EU member states, Iceland, Liechtenstein and Norway.</summary>
    public static readonly IReadOnlySet<string> Eea = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT",
        "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
    };

    /// <summary>
    /// An ISO 3166-1 alpha-2 code in upper case, or null: anything else, and the user-assigned codes GeoIP services
    /// give when they do not know (<c>XX</c>, <c>ZZ</c>), is no country.
    /// </summary>
    public static string? Code(string? value)
    {
        var v = value?.Trim();
        if (v is not { Length: 2 } || !char.IsAsciiLetter(v[0]) || !char.IsAsciiLetter(v[1])) return null;
        v = v.ToUpperInvariant();
        return v is "XX" or "ZZ" ? null : v;
    }
}
