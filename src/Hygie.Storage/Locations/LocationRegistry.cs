using System.Data.Common;
using System.Text.Json;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Audit;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;

namespace Hygie.Storage.Locations;

/// <summary>
/// The locations the operator declared (table <c>locations</c>) and the hub's placement policy (table
/// <c>placement_policy</c>). The hub's own stores are locations too: <c>local-metadata</c>, <c>local-objects</c> and
/// <c>local-vault</c> unless <c>hub.json</c> names others (after a migration).
/// </summary>
public sealed class LocationRegistry(IMetadataStore store, HubConfig config, AuditLog audit, TimeProvider clock)
{
    public static readonly Migration Schema = new("storage.locations", 1, "declared locations and the placement policy",
        """
        CREATE TABLE locations (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            provider TEXT NOT NULL,
            backend TEXT NOT NULL,
            country TEXT NOT NULL,
            jurisdiction TEXT NOT NULL,
            qualifications TEXT NOT NULL,
            settings TEXT NOT NULL,
            description TEXT,
            declared_at TEXT NOT NULL,
            erased_at TEXT
        );
        CREATE TABLE placement_policy (
            id INTEGER PRIMARY KEY,
            document TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private long _version;

    /// <summary>Goes up after every change of a location or of the policy made through this registry (cached verdicts key on it).</summary>
    public long Version => Interlocked.Read(ref _version);

    private void Changed() => Interlocked.Increment(ref _version);

    /// <summary>The location name of each of the hub's current stores, by kind.</summary>
    public IReadOnlyDictionary<string, string> HubStores { get; } = new Dictionary<string, string>
    {
        [LocationKinds.Metadata] = config.Metadata.Location ?? DeclaredLocation.LocalName(LocationKinds.Metadata),
        [LocationKinds.Objects] = config.Objects.Location ?? DeclaredLocation.LocalName(LocationKinds.Objects),
        [LocationKinds.Vault] = config.Vault.Location ?? DeclaredLocation.LocalName(LocationKinds.Vault),
    };

    /// <summary>Declares (or re-declares, with <paramref name="replace"/>) a location; audited with <paramref name="actor"/>.</summary>
    public async Task<DeclaredLocation> DeclareAsync(DeclaredLocation location, string actor, bool replace = false, CancellationToken ct = default)
    {
        DeclaredLocation.CheckName(location.Name);
        DeclaredLocation.CheckKind(location.Kind);
        DeclaredLocation.CheckSettings(location.Settings);
        if (string.IsNullOrWhiteSpace(location.Provider))
            throw new ValidationFailedException("a location needs a --provider (who runs it)", "provider");
        location = location with
        {
            Country = DeclaredLocation.NormalizeCountry(location.Country),
            Jurisdiction = DeclaredLocation.NormalizeJurisdiction(location.Jurisdiction),
            Qualifications = DeclaredLocation.NormalizeQualifications(location.Qualifications),
            DeclaredAt = clock.GetUtcNow(),
        };

        var existing = await FindAsync(location.Name, ct);
        if (existing is not null && !replace)
            throw new ConflictException($"location '{location.Name}' is already declared: pass --replace to change its declaration", "location-exists");
        if (existing is not null && (existing.IsHubStore || HubStores.Values.Contains(existing.Name)))
        {
            // The hub's own stores: only where they are and under which law may change, not how they are opened.
            if (existing.Kind != location.Kind)
                throw new ValidationFailedException($"location '{location.Name}' holds the hub's {existing.Kind}: its kind cannot change", "kind");
            location = location with { Backend = existing.Backend, Settings = existing.Settings };
        }
        else if (location.IsHubStore && existing is null)
            throw new ValidationFailedException("names starting with 'local-' are the hub's own stores: choose another name", "name");

        var details = new Dictionary<string, string>
        {
            // "site", not "country": an audit detail named country records where an access came from.
            ["kind"] = location.Kind, ["provider"] = location.Provider, ["backend"] = location.Backend, ["site"] = location.Site,
            ["replaced"] = (existing is not null).ToString().ToLowerInvariant(),
        };
        await audit.CommitWithAsync([new AuditEntry(actor, "location.declare", location.Name, Details: details)],
            (c, tx) => UpsertAsync(c, tx, location, ct), ct);
        Changed();
        return location;
    }

    /// <summary>Declares the hub's own stores at init, where the hub runs.</summary>
    public async Task DeclareHubStoresAsync(HubSite? site, CancellationToken ct = default)
    {
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var (kind, storeConfig) in new[] { (LocationKinds.Metadata, config.Metadata), (LocationKinds.Objects, config.Objects), (LocationKinds.Vault, config.Vault) })
            await UpsertAsync(connection, tx, HubStore(kind, storeConfig, site), ct);
        await tx.CommitAsync(ct);
        Changed();
    }

    /// <summary>Declares the hub's stores that an older hub never declared, as of unknown site (idempotent, read-only when nothing is missing).</summary>
    public async Task EnsureHubStoresAsync(CancellationToken ct = default)
    {
        var missing = new List<DeclaredLocation>();
        foreach (var (kind, storeConfig) in new[] { (LocationKinds.Metadata, config.Metadata), (LocationKinds.Objects, config.Objects), (LocationKinds.Vault, config.Vault) })
            if (await FindAsync(HubStores[kind], ct) is null)
                missing.Add(HubStore(kind, storeConfig, null) with { Name = HubStores[kind] });
        if (missing.Count == 0) return;
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var location in missing) await UpsertAsync(connection, tx, location, ct);
        await tx.CommitAsync(ct);
        Changed();
    }

    private DeclaredLocation HubStore(string kind, StoreConfig storeConfig, HubSite? site)
    {
        var settings = new Dictionary<string, string>(storeConfig.Settings ?? []);
        if (storeConfig.Path is not null) settings["path"] = storeConfig.Path;
        site ??= new HubSite();
        return new DeclaredLocation(DeclaredLocation.LocalName(kind), kind, site.Provider, storeConfig.Provider,
            DeclaredLocation.NormalizeCountry(site.Country), DeclaredLocation.NormalizeJurisdiction(site.Jurisdiction),
            DeclaredLocation.NormalizeQualifications(site.Qualifications), settings, $"the hub's own {kind} store", clock.GetUtcNow());
    }

    public async Task<DeclaredLocation?> FindAsync(string name, CancellationToken ct = default)
    {
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var cmd = connection.Command($"SELECT {Columns} FROM locations WHERE name = @n");
        cmd.AddParameter("n", name);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>The location, or a clear error naming it and listing what is declared.</summary>
    public async Task<DeclaredLocation> GetAsync(string name, string? expectedKind = null, CancellationToken ct = default)
    {
        var location = await FindAsync(name, ct);
        if (location is null)
        {
            var known = (await ListAsync(ct)).Where(l => expectedKind is null || l.Kind == expectedKind).Select(l => l.Name).ToList();
            throw new NotFoundException($"no location named '{name}' is declared" +
                (known.Count == 0 ? $": declare it with 'hygie locations add {name} --kind {expectedKind ?? "KIND"} …'" : $" (declared{(expectedKind is null ? "" : $" {expectedKind}")} locations: {string.Join(", ", known)})"),
                "location-not-found");
        }
        if (expectedKind is not null && location.Kind != expectedKind)
            throw new ValidationFailedException($"location '{name}' is of kind '{location.Kind}', not '{expectedKind}'", "location-kind");
        if (location.ErasedAt is not null)
            throw new ValidationFailedException($"location '{name}' was erased on {location.ErasedAt:u} after a migration: declare a new one", "location-erased");
        return location;
    }

    public async Task<IReadOnlyList<DeclaredLocation>> ListAsync(CancellationToken ct = default)
    {
        var list = new List<DeclaredLocation>();
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var cmd = connection.Command($"SELECT {Columns} FROM locations ORDER BY name");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    /// <summary>Records that a location's copy of the hub was erased (after a migration's finalize).</summary>
    public async Task MarkErasedAsync(string name, DbConnection? connection = null, DbTransaction? tx = null, CancellationToken ct = default)
    {
        var own = connection is null;
        connection ??= await store.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = connection.Command("UPDATE locations SET erased_at = @t WHERE name = @n AND erased_at IS NULL", tx);
            cmd.AddParameter("t", clock.GetUtcNow().ToString("O")).AddParameter("n", name);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            if (own) await connection.DisposeAsync();
            Changed();
        }
    }

    public async Task<PolicyDocument> GetPolicyAsync(CancellationToken ct = default)
    {
        await using var connection = await store.OpenConnectionAsync(ct);
        await using var cmd = connection.Command("SELECT document FROM placement_policy WHERE id = 1");
        return await cmd.ExecuteScalarAsync(ct) is string json ? PolicyDocument.Parse(json, "the stored placement policy") : PolicyDocument.Default;
    }

    /// <summary>Replaces the hub's policy; audited when <paramref name="actor"/> is given (init sets it silently).</summary>
    public async Task SetPolicyAsync(PolicyDocument policy, string? actor, CancellationToken ct = default)
    {
        IReadOnlyList<AuditEntry> entries = actor is null ? [] :
        [
            new AuditEntry(actor, "policy.set", policy.Name, Details: new Dictionary<string, string>
            {
                ["development"] = policy.Development.ToString().ToLowerInvariant(),
                ["rules"] = string.Join("; ", policy.Rules.Select(r => $"{r.Classification}: {r.Text}")),
            }),
        ];
        await audit.CommitWithAsync(entries, async (c, tx) =>
        {
            await using var cmd = c.Command(
                "INSERT INTO placement_policy (id, document, updated_at) VALUES (1, @d, @t) ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at", tx);
            cmd.AddParameter("d", policy.ToJson()).AddParameter("t", clock.GetUtcNow().ToString("O"));
            return await cmd.ExecuteNonQueryAsync(ct);
        }, ct);
        Changed();
    }

    private const string Columns = "name, kind, provider, backend, country, jurisdiction, qualifications, settings, description, declared_at, erased_at";

    private static DeclaredLocation Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
        r.GetString(6).Split(',', StringSplitOptions.RemoveEmptyEntries),
        JsonSerializer.Deserialize<Dictionary<string, string>>(r.GetString(7), Json) ?? [],
        r.GetNullableString(8), DateTimeOffset.Parse(r.GetString(9)), r.IsDBNull(10) ? null : DateTimeOffset.Parse(r.GetString(10)));

    private static async Task<int> UpsertAsync(DbConnection connection, DbTransaction tx, DeclaredLocation l, CancellationToken ct)
    {
        await using var cmd = connection.Command(
            $"""
            INSERT INTO locations ({Columns}) VALUES (@name, @kind, @provider, @backend, @country, @jurisdiction, @q, @settings, @description, @at, NULL)
            ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, provider = excluded.provider, backend = excluded.backend,
                country = excluded.country, jurisdiction = excluded.jurisdiction, qualifications = excluded.qualifications,
                settings = excluded.settings, description = excluded.description, declared_at = excluded.declared_at, erased_at = NULL
            """, tx);
        cmd.AddParameter("name", l.Name).AddParameter("kind", l.Kind).AddParameter("provider", l.Provider).AddParameter("backend", l.Backend)
           .AddParameter("country", l.Country).AddParameter("jurisdiction", l.Jurisdiction).AddParameter("q", string.Join(",", l.Qualifications))
           .AddParameter("settings", JsonSerializer.Serialize(l.Settings, Json)).AddParameter("description", l.Description)
           .AddParameter("at", l.DeclaredAt.ToString("O"));
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
