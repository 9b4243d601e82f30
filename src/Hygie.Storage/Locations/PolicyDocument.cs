using System.Text.Json;
using System.Text.Json.Serialization;
using Hygie.Core.Errors;
using Hygie.Core.Sovereignty;

namespace Hygie.Storage.Locations;

/// <summary>
/// The hub's placement policy as stored in its metadata (table <c>placement_policy</c>) and shown in the compliance
/// report: which classification needs what of a location, and which classifications the hub holds.
/// </summary>
public sealed record PolicyDocument
{
    public required string Name { get; init; }

    /// <summary>A development policy accepts the local machine for everything; the compliance report says so loudly.</summary>
    public bool Development { get; init; }

    public string? Description { get; init; }

    public bool RefuseUnknownClassifications { get; init; } = true;

    public required IReadOnlyList<PolicyRule> Rules { get; init; }

    /// <summary>
    /// The classifications the hub holds (what backups and migrations must be allowed to carry); null means every
    /// classification the rules name — the safe assumption.
    /// </summary>
    public IReadOnlyList<string>? Holds { get; init; }

    [JsonIgnore]
    public IReadOnlyList<string> HeldClassifications => Holds ?? Rules.Select(r => r.Classification).ToList();

    public static PolicyDocument Default { get; } = new()
    {
        Name = "default",
        Description = "SNDS data needs SecNumCloud, HDS, EU-only law and EEA storage; clinical data needs HDS and EEA storage",
        Rules = PlacementPolicy.Default.Rules.Select(PolicyRule.From).ToList(),
    };

    public static PolicyDocument DevelopmentPolicy { get; } = new()
    {
        Name = "development",
        Development = true,
        Description = "DEVELOPMENT POLICY (demo hub): accepts any location, the local machine included, for every classification — never use it for real health data",
        RefuseUnknownClassifications = false,
        Rules = PlacementPolicy.Default.Rules.Select(r => new PolicyRule(r.Classification, [], false, false)).ToList(),
    };

    public PlacementPolicy ToPolicy() => new(
        Rules.Select(r => new PlacementRule(r.Classification, r.Requires, r.EuJurisdiction, r.Eea)).ToList(), RefuseUnknownClassifications);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static PolicyDocument Parse(string json, string source)
    {
        PolicyDocument? doc;
        try { doc = JsonSerializer.Deserialize<PolicyDocument>(json, Json); }
        catch (JsonException e) { throw new ValidationFailedException($"{source} is not a valid placement policy: {e.Message}", "policy"); }
        if (doc is null || doc.Rules is null || string.IsNullOrWhiteSpace(doc.Name))
            throw new ValidationFailedException($"{source} is not a valid placement policy: 'name' and 'rules' are required", "policy");
        foreach (var rule in doc.Rules)
            if (string.IsNullOrWhiteSpace(rule.Classification))
                throw new ValidationFailedException($"{source}: every rule needs a 'classification'", "policy");
        return doc with { Rules = doc.Rules.Select(r => r with { Requires = DeclaredLocation.NormalizeQualifications(r.Requires) }).ToList() };
    }
}

/// <param name="Requires">qualifications a location must declare (e.g. HDS, SecNumCloud).</param>
/// <param name="EuJurisdiction">the provider must answer to EU law only.</param>
/// <param name="Eea">the location must be in the European Economic Area.</param>
public sealed record PolicyRule(string Classification, IReadOnlyList<string> Requires, bool EuJurisdiction, bool Eea)
{
    public static PolicyRule From(PlacementRule r) => new(r.Classification, r.RequiredQualifications, r.RequireEuJurisdiction, r.RequireEea);

    /// <summary>"HDS + SecNumCloud, EU law only, in the EEA" — for people.</summary>
    public string Text
    {
        get
        {
            var parts = new List<string>();
            if (Requires.Count > 0) parts.Add(string.Join(" + ", Requires));
            if (EuJurisdiction) parts.Add("EU law only");
            if (Eea) parts.Add("in the EEA");
            return parts.Count == 0 ? "any location" : string.Join(", ", parts);
        }
    }
}
