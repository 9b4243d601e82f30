using Hl7.Fhir.Model;
using Hygie.Fhir.Bulk;
using Hygie.Ingest.Deposit;

namespace Hygie.Server.Modules;

/// <summary>
/// A FHIR tenant's export deposited into a research dataset: the FHIR store's hook (<see cref="IFhirExportDeposit"/>)
/// answered by the deposit pipeline, which validates, pseudonymizes and flattens the resources as it does an upload.
/// </summary>
public sealed class FhirExportDeposit(DatasetService datasets) : IFhirExportDeposit
{
    public async Task<string> DepositAsync(string tenant, string dataset, IAsyncEnumerable<Resource> resources, string actor, CancellationToken ct) =>
        (await datasets.DepositFhirResourcesAsync(actor, dataset, tenant, resources, ct)).DepositId;
}
