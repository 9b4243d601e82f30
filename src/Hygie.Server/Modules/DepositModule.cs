using Hygie.Core.Catalog;
using Hygie.Ingest.Deposit;
using Hygie.Server.Endpoints;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Server.Modules;

/// <summary>Datasets and deposits; its <see cref="DatasetService"/> is the hub's dataset catalogue and manifest of parts,
/// and the deposit pipeline behind the FHIR store's export-to-dataset route (<see cref="FhirExportDeposit"/>).</summary>
public sealed class DepositModule : IHubModule
{
    public IEnumerable<Migration> Migrations => DepositSchema.Migrations;

    public void AddServices(IServiceCollection services, Hub hub)
    {
        services.AddSingleton(sp => new DatasetService(hub));
        services.AddSingleton<IDatasetCatalog>(sp => sp.GetRequiredService<DatasetService>());
        services.AddSingleton<IDatasetFiles>(sp => sp.GetRequiredService<DatasetService>());
        services.AddSingleton<IPersonLinks>(sp => sp.GetRequiredService<DatasetService>());
        services.AddSingleton<Hygie.Fhir.Bulk.IFhirExportDeposit>(sp => new FhirExportDeposit(sp.GetRequiredService<DatasetService>()));
    }

    public void MapEndpoints(IEndpointRouteBuilder app) => app.MapDeposit();
}
