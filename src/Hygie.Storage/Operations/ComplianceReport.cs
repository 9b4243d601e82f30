using Hygie.Core.Audit;
using Hygie.Core.Sovereignty;
using Hygie.Storage.Locations;
using Hygie.Storage.Metadata;

namespace Hygie.Storage.Operations;

/// <summary>
/// <c>hygie compliance report</c> and <c>GET /public/transparency</c>: where the hub's bytes are (provider, country,
/// jurisdiction, qualifications, what each location holds), who holds the keys, the placement policy, and the
/// accesses recorded from outside the EEA.
/// </summary>
public sealed record ComplianceReport(
    string HubId,
    DateTimeOffset GeneratedAt,
    CompliancePolicy Policy,
    IReadOnlyList<ComplianceLocation> Locations,
    KeyCustody KeyCustody,
    ExtraEeaAccesses AccessesFromOutsideEea)
{
    private const int RecentAccesses = 20;

    public static async Task<ComplianceReport> BuildAsync(Hub.Hub hub, CancellationToken ct = default)
    {
        var policy = await hub.Locations.GetPolicyAsync(ct);
        var locations = await hub.Locations.ListAsync(ct);
        var holds = await HoldingsAsync(hub, ct);

        var policySection = new CompliancePolicy(policy.Name, policy.Development,
            policy.Development ? $"DEVELOPMENT POLICY — {policy.Description}" : policy.Description,
            policy.Rules.Select(r => new ComplianceRule(r.Classification, r.Text)).ToList(), policy.HeldClassifications);

        var locationSections = locations.Select(l =>
        {
            var held = holds.GetValueOrDefault(l.Name) ?? [];
            if (l.ErasedAt is not null) held = [$"nothing: its copy of the hub was erased on {l.ErasedAt:u}", .. held];
            var gaps = l.Kind != LocationKinds.Vault ? Placement.Violations(policy, l) : [];
            var holdsData = held.Count > 0 && l.ErasedAt is null;
            var verdict = l.Kind == LocationKinds.Vault ? "holds keys, not data: see key custody"
                : gaps.Count == 0 ? "complies: may hold the hub's data"
                : holdsData ? "DOES NOT COMPLY: " + string.Join("; ", gaps)
                : "may not hold the hub's data: " + gaps[0];
            return new ComplianceLocation(l.Name, l.Kind, l.Provider, l.Backend, l.Country, l.ToPolicyLocation().InEea, l.Jurisdiction,
                DeclaredLocation.JurisdictionText(l.Jurisdiction), l.Qualifications, held.Count == 0 ? ["nothing"] : held, gaps,
                l.Kind == LocationKinds.Vault || gaps.Count == 0 || !holdsData, verdict, l.Path, l.DeclaredAt, l.ErasedAt);
        }).ToList();

        var vaultKeys = hub.Vault.ListKeys();
        var roots = vaultKeys.Where(k => k.Purpose == "root").ToList();
        var current = roots.FirstOrDefault(k => k.Current);
        var dataKeys = await hub.Keys.ListAsync(ct);
        var custody = new KeyCustody(hub.Vault.Kind, hub.Locations.HubStores[LocationKinds.Vault], current?.Id ?? hub.Vault.RootKeyId,
            current?.Extractable ?? true,
            current?.Extractable == false
                ? "the root key is non-extractable: wrapping and signing happen inside the token"
                : "the root key is in a keyring file readable by the hub's operating-system account (extractable); production uses a PKCS#11 HSM",
            roots.Count, current?.Created, AuditChain.Fingerprint(hub.Vault.SigningPublicKey),
            dataKeys.Count(k => k.Destroyed is null), dataKeys.Count(k => k.Destroyed is not null));

        return new ComplianceReport(hub.HubId, hub.Clock.GetUtcNow(), policySection, locationSections, custody, await AccessesAsync(hub, ct));
    }

    /// <summary>The report for anyone: no file paths, no actors, counts by country only.</summary>
    public ComplianceReport ForPublic() => this with
    {
        Locations = Locations.Select(l => l with { Where = null }).ToList(),
        AccessesFromOutsideEea = AccessesFromOutsideEea with { Recent = [] },
    };

    private static async Task<Dictionary<string, List<string>>> HoldingsAsync(Hub.Hub hub, CancellationToken ct)
    {
        var holds = new Dictionary<string, List<string>>();
        void Add(string location, string what) => (holds.TryGetValue(location, out var l) ? l : holds[location] = []).Add(what);
        Add(hub.Locations.HubStores[LocationKinds.Metadata], "the hub's metadata: manifests, wrapped keys, audit log, governance (in use)");
        Add(hub.Locations.HubStores[LocationKinds.Objects], "the hub's sealed objects: every byte of health data, encrypted (in use)");
        Add(hub.Locations.HubStores[LocationKinds.Vault], "the hub's root and audit-signing keys (in use)");

        await using var connection = await hub.Metadata.OpenConnectionAsync(ct);
        await using (var cmd = connection.Command("SELECT location, COUNT(*), MAX(created_at) FROM backups GROUP BY location"))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                Add(reader.GetString(0), $"{reader.GetInt64Value(1)} encrypted backup(s) of the hub, the latest of {DateTimeOffset.Parse(reader.GetString(2)):u}");
        await using (var cmd = connection.Command("SELECT objects_to, metadata_to, state FROM migrations WHERE state IN ('copying', 'copied')"))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                Add(reader.GetString(0), $"a copy of the hub's sealed objects (migration in progress: {reader.GetString(2)})");
                if (reader.GetNullableString(1) is { } meta) Add(meta, "the target of a migration in progress (metadata copied at the switch)");
            }
        return holds;
    }

    /// <summary>From the summary the audit log keeps on append (<see cref="Audit.AuditLog.CountrySchema"/>): two small reads, never a scan of the log.</summary>
    private static async Task<ExtraEeaAccesses> AccessesAsync(Hub.Hub hub, CancellationToken ct)
    {
        long withCountry = 0, outside = 0;
        var byCountry = new List<CountryCount>();
        var recent = new List<ExtraEeaAccess>();
        await using var connection = await hub.Metadata.OpenConnectionAsync(ct);
        await using (var cmd = connection.Command("SELECT country, accesses FROM audit_countries ORDER BY accesses DESC, country"))
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                var (country, accesses) = (reader.GetString(0), reader.GetInt64Value(1));
                withCountry += accesses;
                if (Countries.Eea.Contains(country)) continue;
                outside += accesses;
                byCountry.Add(new CountryCount(country, accesses));
            }
        await using (var cmd = connection.Command("SELECT time, country, actor, action, outcome FROM audit_extra_eea ORDER BY seq DESC LIMIT @n"))
        {
            cmd.AddParameter("n", RecentAccesses);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                recent.Add(new ExtraEeaAccess(AuditChain.ParseTime(reader.GetString(0)), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        }
        var summary = outside > 0
            ? $"{outside} access(es) recorded from outside the EEA ({string.Join(", ", byCountry.Select(p => $"{p.Country}: {p.Accesses}"))})"
            : withCountry > 0 ? $"none recorded ({withCountry} access(es) with a known country, all from the EEA)" : "none recorded (no access carried a known country)";
        return new ExtraEeaAccesses(summary, outside, withCountry, byCountry, recent);
    }
}

public sealed record CompliancePolicy(string Name, bool Development, string? Description, IReadOnlyList<ComplianceRule> Rules, IReadOnlyList<string> HubClassifications);

public sealed record ComplianceRule(string Classification, string Requires);

/// <param name="Holds">what the location holds for this hub.</param>
/// <param name="PolicyGaps">the policy's requirements it misses for the hub's classifications.</param>
/// <param name="Complies">false when it holds hub data that the policy does not allow it to hold.</param>
/// <param name="Verdict">the policy's verdict, in one line.</param>
/// <param name="Where">the path or address (operators only; left out of the public report).</param>
public sealed record ComplianceLocation(
    string Name, string Kind, string Provider, string Backend, string Country, bool InEea, string Jurisdiction, string JurisdictionText,
    IReadOnlyList<string> Qualifications, IReadOnlyList<string> Holds, IReadOnlyList<string> PolicyGaps, bool Complies, string Verdict,
    string? Where, DateTimeOffset DeclaredAt, DateTimeOffset? ErasedAt);

public sealed record KeyCustody(
    string VaultKind, string VaultLocation, string RootKeyId, bool RootKeyExtractable, string Custody, int RootKeys,
    DateTimeOffset? RootKeyCreated, string AuditKeyFingerprint, int LiveDataKeys, int DestroyedDataKeys);

public sealed record ExtraEeaAccesses(string Summary, long Count, long AccessesWithKnownCountry, IReadOnlyList<CountryCount> ByCountry, IReadOnlyList<ExtraEeaAccess> Recent);

public sealed record CountryCount(string Country, long Accesses);

public sealed record ExtraEeaAccess(DateTimeOffset Time, string Country, string Actor, string Action, string Outcome);
