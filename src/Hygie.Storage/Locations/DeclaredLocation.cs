using System.Text.RegularExpressions;
using Hygie.Core.Errors;
using Hygie.Core.Sovereignty;
using Hygie.Storage.Hub;

namespace Hygie.Storage.Locations;

/// <summary>
/// A location as the operator declared it: who runs it, where and under which law (for the placement policy and the
/// compliance report), and how to open it (<see cref="Backend"/> and its <see cref="Settings"/>). Settings never hold a
/// secret: a password, PIN or key is named by the environment variable that holds it (a setting ending in <c>-env</c>).
/// </summary>
/// <param name="Kind"><c>metadata</c>, <c>objects</c>, <c>vault</c> or <c>backup</c>.</param>
/// <param name="Provider">who runs it (a company or "local machine"), as shown to auditors.</param>
/// <param name="Backend">the store implementation: <c>files</c>, <c>sqlite</c>, <c>local-keyring</c> (and <c>s3</c>, <c>postgresql</c>, <c>pkcs11</c>).</param>
/// <param name="Country">ISO 3166-1 alpha-2 code, or <c>unknown</c>.</param>
/// <param name="Jurisdiction"><c>eu-only</c>, <c>extra-eu</c> or <c>unknown</c> (treated as exposed to extra-EU law).</param>
public sealed partial record DeclaredLocation(
    string Name,
    string Kind,
    string Provider,
    string Backend,
    string Country,
    string Jurisdiction,
    IReadOnlyList<string> Qualifications,
    IReadOnlyDictionary<string, string> Settings,
    string? Description,
    DateTimeOffset DeclaredAt,
    DateTimeOffset? ErasedAt = null)
{
    public const string UnknownCountry = "unknown";
    public const string EuOnly = "eu-only";
    public const string ExtraEu = "extra-eu";
    public const string UnknownJurisdiction = "unknown";

    public static readonly IReadOnlyList<string> Kinds = [LocationKinds.Metadata, LocationKinds.Objects, LocationKinds.Vault, LocationKinds.Backup];

    /// <summary>The hub's own stores, declared at init: <c>local-metadata</c>, <c>local-objects</c>, <c>local-vault</c>.</summary>
    public static string LocalName(string kind) => "local-" + kind;

    public bool IsHubStore => Name.StartsWith("local-", StringComparison.Ordinal);

    /// <summary>The folder or file the backend opens, when it has one.</summary>
    public string? Path => Settings.TryGetValue("path", out var p) ? p : null;

    /// <summary>The view the placement policy judges. An unknown jurisdiction counts as exposed to extra-EU law.</summary>
    public Location ToPolicyLocation() => new(Name, Kind, Provider, Country,
        Jurisdiction == EuOnly ? Core.Sovereignty.Jurisdiction.EuOnly : Core.Sovereignty.Jurisdiction.ExtraEuExposed,
        new HashSet<string>(Qualifications, StringComparer.OrdinalIgnoreCase), Description);

    /// <summary>How <see cref="StoreFactory"/> opens it.</summary>
    public StoreConfig ToStoreConfig()
    {
        var rest = Settings.Where(p => p.Key != "path").ToDictionary(p => p.Key, p => p.Value);
        return new StoreConfig { Provider = Backend, Path = Path, Settings = rest.Count == 0 ? null : rest, Location = Name };
    }

    /// <summary>"FR, EU law only, HDS + SecNumCloud" — for people.</summary>
    public string Site => $"{(Country == UnknownCountry ? "country unknown" : Country)}, {JurisdictionText(Jurisdiction)}, " +
                          (Qualifications.Count == 0 ? "no qualification" : string.Join(" + ", Qualifications));

    public static string JurisdictionText(string jurisdiction) => jurisdiction switch
    {
        EuOnly => "EU law only",
        ExtraEu => "exposed to extra-EU law",
        _ => "jurisdiction unknown (treated as exposed to extra-EU law)",
    };

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex ValidName();

    [GeneratedRegex("^[a-z][a-z0-9._-]{0,63}$")]
    private static partial Regex ValidSettingKey();

    [GeneratedRegex("(password|passphrase|pin|secret|token|credential|private)", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLike();

    public static bool IsValidName(string name) => ValidName().IsMatch(name);

    public static string CheckName(string name) =>
        ValidName().IsMatch(name) ? name
            : throw new ValidationFailedException($"invalid location name '{name}': use lower-case letters, digits and '-' (at most 63)", "name");

    public static string CheckKind(string kind) =>
        Kinds.Contains(kind) ? kind
            : throw new ValidationFailedException($"unknown location kind '{kind}': use {string.Join(", ", Kinds)}", "kind");

    public static string NormalizeCountry(string? country)
    {
        if (string.IsNullOrWhiteSpace(country) || country.Equals(UnknownCountry, StringComparison.OrdinalIgnoreCase)) return UnknownCountry;
        var c = country.Trim().ToUpperInvariant();
        if (c.Length != 2 || !c.All(char.IsAsciiLetterUpper))
            throw new ValidationFailedException($"invalid country '{country}': use an ISO 3166-1 alpha-2 code such as FR, or 'unknown'", "country");
        return c;
    }

    public static string NormalizeJurisdiction(string? jurisdiction) => jurisdiction?.Trim().ToLowerInvariant() switch
    {
        null or "" or UnknownJurisdiction => UnknownJurisdiction,
        EuOnly or "eu" => EuOnly,
        ExtraEu or "extra-eu-exposed" => ExtraEu,
        _ => throw new ValidationFailedException($"invalid jurisdiction '{jurisdiction}': use eu-only or extra-eu", "jurisdiction"),
    };

    /// <summary>Known qualifications keep their canonical spelling; others are kept as given.</summary>
    public static IReadOnlyList<string> NormalizeQualifications(IEnumerable<string>? qualifications) =>
        (qualifications ?? []).Select(q => q.Trim()).Where(q => q.Length > 0)
            .Select(q => q.Equals(Core.Sovereignty.Qualifications.Hds, StringComparison.OrdinalIgnoreCase) ? Core.Sovereignty.Qualifications.Hds
                : q.Equals(Core.Sovereignty.Qualifications.SecNumCloud, StringComparison.OrdinalIgnoreCase) ? Core.Sovereignty.Qualifications.SecNumCloud
                : q)
            .Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Settings whose names look like secrets but are not: a PKCS#11 token's label names the token.</summary>
    private static readonly HashSet<string> NotSecret = ["token", "key-label"];

    /// <summary>Refuses malformed keys and anything that looks like a secret stored in clear.</summary>
    public static IReadOnlyDictionary<string, string> CheckSettings(IReadOnlyDictionary<string, string> settings)
    {
        foreach (var (key, value) in settings)
        {
            if (!ValidSettingKey().IsMatch(key))
                throw new ValidationFailedException($"invalid setting name '{key}': use lower-case letters, digits, '.', '_' and '-'", "setting");
            if (SecretLike().IsMatch(key) && !key.EndsWith("-env", StringComparison.Ordinal) && !NotSecret.Contains(key))
                throw new ValidationFailedException(
                    $"setting '{key}' looks like a secret: secrets are never stored; name the environment variable that holds it instead ('{key}-env=VARIABLE')", "setting");
            if (value.Contains("password=", StringComparison.OrdinalIgnoreCase) || value.Contains("pwd=", StringComparison.OrdinalIgnoreCase))
                throw new ValidationFailedException(
                    $"setting '{key}' holds a password: secrets are never stored; name the environment variable that holds it instead", "setting");
        }
        return settings;
    }

    /// <summary>The backend a kind uses on one machine when the operator gives only a path.</summary>
    public static string DefaultBackend(string kind) => kind switch
    {
        LocationKinds.Metadata => "sqlite",
        LocationKinds.Vault => "local-keyring",
        _ => "files",
    };
}

public static class LocationKinds
{
    public const string Metadata = "metadata";
    public const string Objects = "objects";
    public const string Vault = "vault";
    public const string Backup = "backup";
}

/// <summary>Where the hub's own machine is, declared at init for the <c>local-*</c> locations.</summary>
public sealed record HubSite(string Provider = "local machine", string? Country = null, string? Jurisdiction = null, IReadOnlyList<string>? Qualifications = null);
