using System.Collections.Concurrent;
using Hygie.Core.Errors;

namespace Hygie.Storage.Locations;

/// <summary>
/// Asks the hub's placement policy before a byte moves: deposit, backup and migration call it with the location they
/// are about to write to. A refusal is a <see cref="PolicyViolationException"/> naming the rule and the location.
/// </summary>
public sealed class Placement(LocationRegistry registry, TimeProvider? clock = null)
{
    /// <summary>
    /// How long a cached verdict on the hub's stores stands without a change made through this hub: a change made by
    /// another process (an operator verb while the server runs) is seen within this delay.
    /// </summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(5);

    private sealed record Verdict(long Version, DateTimeOffset CheckedAt, string? Refusal);

    private readonly ConcurrentDictionary<string, Verdict> _hubStoreVerdicts = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

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

    /// <summary>
    /// <see cref="EnsureHubStoresAllowedAsync"/> for writes too frequent to read the policy each time (FHIR resources):
    /// the verdict per classification is kept until the policy or a location changes through this hub
    /// (<see cref="LocationRegistry.Version"/>), and at most <see cref="RecheckInterval"/>.
    /// </summary>
    public async ValueTask EnsureHubStoresAllowedCachedAsync(string classification, string operation, CancellationToken ct = default)
    {
        var now = _clock.GetUtcNow();
        var version = registry.Version;
        if (!_hubStoreVerdicts.TryGetValue(classification, out var verdict) || verdict.Version != version
            || now < verdict.CheckedAt || now - verdict.CheckedAt >= RecheckInterval)
        {
            // The version is read before the policy: a change committed meanwhile bumps it, and the next call recomputes.
            verdict = new Verdict(version, now, await HubStoresRefusalAsync(classification, ct));
            _hubStoreVerdicts[classification] = verdict;
        }
        if (verdict.Refusal is not null)
            throw new PolicyViolationException($"{operation} refused: {verdict.Refusal}", "placement-refused");
    }

    private async Task<string?> HubStoresRefusalAsync(string classification, CancellationToken ct)
    {
        var policy = (await registry.GetPolicyAsync(ct)).ToPolicy();
        foreach (var kind in new[] { LocationKinds.Objects, LocationKinds.Metadata })
        {
            var location = await registry.GetAsync(registry.HubStores[kind], ct: ct);
            if (policy.Violation(classification, location.ToPolicyLocation()) is { } why)
                return $"location '{location.Name}' may not hold '{classification}' data — {why}";
        }
        return null;
    }

    /// <summary>Every requirement a location misses for the hub's classifications (empty when it complies).</summary>
    public static IReadOnlyList<string> Violations(PolicyDocument policy, DeclaredLocation location)
    {
        var p = policy.ToPolicy();
        return policy.HeldClassifications.Select(c => p.Violation(c, location.ToPolicyLocation())).OfType<string>().ToList();
    }
}
