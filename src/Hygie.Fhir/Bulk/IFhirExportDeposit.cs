using Hl7.Fhir.Model;

namespace Hygie.Fhir.Bulk;

/// <summary>
/// Where a tenant's export goes to become a research dataset: implemented over the deposit pipeline (Hygie.Ingest's
/// <c>DatasetService.DepositFhirResourcesAsync</c>, registered by the server's deposit module), which validates,
/// pseudonymizes and flattens the resources on the way in. The server's operator route
/// <c>POST /api/fhir/tenants/{tenant}/deposits</c> exports the tenant's data and hands it here.
/// </summary>
public interface IFhirExportDeposit
{
    /// <summary>Deposits <paramref name="resources"/> into dataset <paramref name="dataset"/>; returns the deposit's id.</summary>
    Task<string> DepositAsync(string tenant, string dataset, IAsyncEnumerable<Resource> resources, string actor, CancellationToken ct);
}
