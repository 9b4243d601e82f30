using Hygie.Core.Errors;

namespace Hygie.Core.Sovereignty;

/// <summary>What a location must have to hold data of a classification.</summary>
public sealed record PlacementRule(
    string Classification,
    IReadOnlyList<string> RequiredQualifications,
    bool RequireEuJurisdiction,
    bool RequireEea);

/// <summary>
/// Maps each dataset classification to what a location must have. Every write, backup or migration asks
/// <see cref="Check"/> before a byte moves; a refusal names the rule and the location.
/// </summary>
public sealed class PlacementPolicy(IReadOnlyList<PlacementRule> rules, bool refuseUnknownClassifications = true)
{
    /// <summary>The hub's default: SNDS data needs SecNumCloud and EU-only law; clinical data needs HDS and EEA storage.</summary>
    public static PlacementPolicy Default { get; } = new(
    [
        new PlacementRule("snds", [Qualifications.SecNumCloud, Qualifications.Hds], RequireEuJurisdiction: true, RequireEea: true),
        new PlacementRule("clinical", [Qualifications.Hds], RequireEuJurisdiction: false, RequireEea: true),
    ]);

    public IReadOnlyList<PlacementRule> Rules { get; } = rules;

    /// <summary>Refuses, naming the rule, when <paramref name="location"/> may not hold <paramref name="classification"/>.</summary>
    public void Check(string classification, Location location, string operation)
    {
        var why = Violation(classification, location);
        if (why is not null)
            throw new PolicyViolationException($"{operation} refused: location '{location.Name}' may not hold '{classification}' data — {why}", "placement-refused");
    }

    /// <summary>The first requirement <paramref name="location"/> misses for <paramref name="classification"/>, or null.</summary>
    public string? Violation(string classification, Location location)
    {
        var rule = Rules.FirstOrDefault(r => string.Equals(r.Classification, classification, StringComparison.OrdinalIgnoreCase));
        if (rule is null)
            return refuseUnknownClassifications ? $"no placement rule covers the classification '{classification}'" : null;
        foreach (var q in rule.RequiredQualifications)
            if (!location.Has(q))
                return $"rule '{rule.Classification}' requires the {q} qualification, which the location does not declare";
        if (rule.RequireEuJurisdiction && location.Jurisdiction != Jurisdiction.EuOnly)
            return $"rule '{rule.Classification}' requires a provider under EU law only; '{location.Provider}' is exposed to extra-EU law";
        if (rule.RequireEea && !location.InEea)
            return $"rule '{rule.Classification}' requires storage in the EEA; the location is in {location.Country}";
        return null;
    }
}
