using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Core.Identity;
using Hygie.Fhir.Rest;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;

namespace Hygie.Fhir.Tenants;

/// <summary>A customer of the FHIR store: its own data key (resources) and index key (keyed hashes of identifiers).</summary>
public sealed record Tenant(string Id, string DataKeyId, string IndexKeyId, bool NameSearch, DateTimeOffset Created, string CreatedBy);

/// <summary>Tenants: created by the operator, each with two keys from the key ring; cached once read.</summary>
public sealed partial class TenantStore(Hub hub) : ITenantDirectory
{
    private readonly ConcurrentDictionary<string, Tenant> _cache = new(StringComparer.Ordinal);

    /// <summary>What a tenant holds, for the placement policy: patients' clinical data.</summary>
    public const string Classification = "clinical";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex NamePattern();

    public static void ValidateName(string name)
    {
        if (!NamePattern().IsMatch(name ?? ""))
            throw new ValidationFailedException(
                "a tenant name is 1 to 63 lowercase letters, digits or dashes, starting with a letter or digit (it becomes part of the FHIR base URL)", "name");
    }

    /// <summary>
    /// Creates the tenant and its keys, and audits it, in one transaction — refused first when the placement policy
    /// forbids the hub's stores to hold <see cref="Classification"/> data.
    /// </summary>
    public async Task<Tenant> CreateAsync(string name, bool nameSearch, string actor, CancellationToken ct = default)
    {
        ValidateName(name);
        if (await FindAsync(name, ct) is not null)
            throw new ConflictException($"tenant '{name}' already exists", "tenant-exists");
        try
        {
            await hub.Placement.EnsureHubStoresAllowedCachedAsync(Classification, $"creating FHIR tenant '{name}'", ct);
        }
        catch (PolicyViolationException e)
        {
            await hub.Audit.AppendAsync(new AuditEntry(actor, "fhir.tenant.create", $"tenant:{name}", AuditOutcome.Refused, e.Message), ct);
            throw;
        }
        var now = hub.Clock.GetUtcNow();
        var audit = new AuditEntry(actor, "fhir.tenant.create", $"tenant:{name}",
            Details: new Dictionary<string, string> { ["nameSearch"] = nameSearch ? "allowed" : "exact-only" });
        var (tenant, _) = await hub.Audit.CommitWithAsync([audit], async (connection, tx) =>
        {
            var dataKey = await hub.Keys.CreateAsync("tenant", name, connection, tx, ct);
            var indexKey = await hub.Keys.CreateAsync("tenant-index", name, connection, tx, ct);
            await using var cmd = connection.Command(
                "INSERT INTO fhir_tenants (id, data_key_id, index_key_id, name_search, created_at, created_by) VALUES (@id, @d, @i, @n, @t, @b)", tx);
            cmd.AddParameter("id", name).AddParameter("d", dataKey).AddParameter("i", indexKey).AddParameter("n", nameSearch ? 1 : 0)
               .AddParameter("t", now.ToString("O")).AddParameter("b", actor);
            try
            {
                await cmd.ExecuteNonQueryAsync(ct);
            }
            catch (System.Data.Common.DbException)
            {
                throw new ConflictException($"tenant '{name}' already exists", "tenant-exists");
            }
            return new Tenant(name, dataKey, indexKey, nameSearch, now, actor);
        }, ct);
        _cache[name] = tenant;
        return tenant;
    }

    public async Task<Tenant?> FindAsync(string id, CancellationToken ct = default)
    {
        if (_cache.TryGetValue(id, out var cached)) return cached;
        await using var connection = await hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = connection.Command(
            "SELECT id, data_key_id, index_key_id, name_search, created_at, created_by FROM fhir_tenants WHERE id = @id");
        cmd.AddParameter("id", id);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var tenant = Read(reader);
        return _cache.GetOrAdd(id, tenant);
    }

    public async Task<bool> ExistsAsync(string tenant, CancellationToken ct = default) => await FindAsync(tenant, ct) is not null;

    public string? ScopeProblem(string scope) => SmartScopes.Problem(scope);

    public async Task<Tenant> GetAsync(string id, CancellationToken ct = default) =>
        await FindAsync(id, ct) ?? throw new NotFoundException($"tenant '{id}' does not exist (the operator creates it with 'hygie tenants add')", "tenant-not-found");

    public async Task<IReadOnlyList<Tenant>> ListAsync(CancellationToken ct = default)
    {
        await using var connection = await hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = connection.Command(
            "SELECT id, data_key_id, index_key_id, name_search, created_at, created_by FROM fhir_tenants ORDER BY id");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var list = new List<Tenant>();
        while (await reader.ReadAsync(ct)) list.Add(Read(reader));
        return list;
    }

    private static Tenant Read(System.Data.Common.DbDataReader r) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), Convert.ToInt64(r.GetValue(3)) != 0, DateTimeOffset.Parse(r.GetString(4)), r.GetString(5));
}
