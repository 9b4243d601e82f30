using Hl7.Fhir.Model;

namespace Hygie.Fhir.Bulk;

/// <summary>
/// Where a tenant's export goes to become a research dataset: implemented by the deposit pipeline (Hygie.Ingest), which
/// validates and pseudonymizes the resources on the way in. The server's operator route
/// <c>POST /api/fhir/tenants/{tenant}/deposits</c> exports the tenant's data and hands it here.
/// </summary>
public interface IFhirExportDeposit
{
    /// <summary>Deposits <paramref name="resources"/> into dataset <paramref name="dataset"/>; returns the deposit's id.</summary>
    Task<string> DepositAsync(string tenant, string dataset, IAsyncEnumerable<Resource> resources, string actor, CancellationToken ct);
}
