using Hygie.Core.Errors;
using Hygie.Fhir.Search;
using Hygie.Fhir.Storage;
using Hygie.Storage.Hub;

namespace Hygie.Fhir.Tenants;

/// <summary>A tenant with its keys in memory, for the length of a request: seals, opens and hashes for the index.</summary>
public sealed class TenantContext
{
    private readonly byte[] _dataKey;

    private TenantContext(Tenant tenant, byte[] dataKey, byte[] indexKey, bool seal)
    {
        Tenant = tenant;
        _dataKey = dataKey;
        Hasher = new IndexHasher(indexKey);
        SealResources = seal;
    }

    public Tenant Tenant { get; }
    public string Id => Tenant.Id;
    public IndexHasher Hasher { get; }
    public bool SealResources { get; }

    public static async Task<TenantContext> OpenAsync(Hub hub, Tenant tenant, bool seal, CancellationToken ct = default) =>
        new(tenant, await hub.Keys.GetAsync(tenant.DataKeyId, ct), await hub.Keys.GetAsync(tenant.IndexKeyId, ct), seal);

    public static string Context(string tenant, string type, string id, int version) => $"{tenant}/{type}/{id}/{version}";

    public byte[] Seal(ReadOnlySpan<byte> json, string type, string id, int version) =>
        SealResources ? ResourceSealer.Seal(json, Tenant.DataKeyId, _dataKey, Context(Id, type, id, version)) : ResourceSealer.Plaintext(json);

    public byte[] Open(byte[] record, string type, string id, int version)
    {
        var keyId = ResourceSealer.KeyIdOf(record);
        // A hub seals everything it writes: a record in clear was put there by something else.
        if (keyId is null && SealResources)
            throw new IntegrityException($"a stored resource of tenant {Id} is not sealed, and this hub writes sealed records only", "fhir-record");
        if (keyId is not null && keyId != Tenant.DataKeyId)
            throw new IntegrityException($"a stored resource of tenant {Id} is sealed under key {keyId}, not the tenant's key", "fhir-record");
        return ResourceSealer.Open(record, _dataKey, Context(Id, type, id, version));
    }

    /// <summary>Seals a small secret (a subscription's signing secret) under the tenant key.</summary>
    public byte[] SealSecret(byte[] secret, string purpose) => ResourceSealer.Seal(secret, Tenant.DataKeyId, _dataKey, $"{Id}/{purpose}");

    public byte[] OpenSecret(byte[] record, string purpose) => ResourceSealer.Open(record, _dataKey, $"{Id}/{purpose}");
}
