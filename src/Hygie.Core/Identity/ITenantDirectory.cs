namespace Hygie.Core.Identity;

/// <summary>
/// The FHIR tenants as token issuance sees them: whether a tenant exists, and whether a SMART scope is one its API
/// enforces. Implemented by the FHIR store; a hub without it issues no tenant token.
/// </summary>
public interface ITenantDirectory
{
    Task<bool> ExistsAsync(string tenant, CancellationToken ct = default);

    /// <summary>Null when <paramref name="scope"/> is a SMART scope the FHIR API enforces; otherwise what is wrong with it.</summary>
    string? ScopeProblem(string scope);
}
