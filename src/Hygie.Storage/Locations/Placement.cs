using Hygie.Core.Errors;

namespace Hygie.Storage.Locations;

/// <summary>
/// Asks the hub's placement policy before a byte moves: deposit, backup and migration call it with the location they
/// are about to write to. A refusal is a <see cref="PolicyViolationException"/> naming the rule and the location.
/// </summary>
public sealed class Placement(LocationRegistry registry)
{
    /// <summary>Refuses when <paramref name="locationName"/> may not hold <paramref name="classification"/> data.</summary>
    public async Task EnsureAllowedAsync(string classification, string locationName, string operation, CancellationToken ct = default)
    {
        var location = await registry.GetAsync(locationName, ct: ct);
        var policy = await registry.GetPolicyAsync(ct);
        policy.ToPolicy().Check(classification, location.ToPolicyLocation(), operation);
    }

    /// <summary>
    /// Refuses when <paramref name="locationName"/> may not hold every classification the hub holds — what a backup or
    /// a migration carries. Returns the location once allowed.
    /// </summary>
    public async Task<DeclaredLocation> EnsureHubDataAllowedAsync(string locationName, string operation, string? expectedKind = null, CancellationToken ct = default)
    {
        var location = await registry.GetAsync(locationName, expectedKind, ct);
        var document = await registry.GetPolicyAsync(ct);
        var policy = document.ToPolicy();
        foreach (var classification in document.HeldClassifications)
            policy.Check(classification, location.ToPolicyLocation(), operation);
        return location;
    }

    /// <summary>Refuses a write of <paramref name="classification"/> data into the hub's own object and metadata stores.</summary>
    public async Task EnsureHubStoresAllowedAsync(string classification, string operation, CancellationToken ct = default)
    {
        await EnsureAllowedAsync(classification, registry.HubStores[LocationKinds.Objects], operation, ct);
        await EnsureAllowedAsync(classification, registry.HubStores[LocationKinds.Metadata], operation, ct);
    }

    /// <summary>Every requirement a location misses for the hub's classifications (empty when it complies).</summary>
    public static IReadOnlyList<string> Violations(PolicyDocument policy, DeclaredLocation location)
    {
        var p = policy.ToPolicy();
        return policy.HeldClassifications.Select(c => p.Violation(c, location.ToPolicyLocation())).OfType<string>().ToList();
    }
}
