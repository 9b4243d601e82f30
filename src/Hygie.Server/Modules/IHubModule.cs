using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Server.Modules;

/// <summary>A capability of the hub (deposit, governance, analysis, FHIR…) as the server hosts it.</summary>
public interface IHubModule
{
    /// <summary>The module's metadata schema, applied when the hub opens.</summary>
    IEnumerable<Migration> Migrations { get; }

    void AddServices(IServiceCollection services, Hub hub);

    void MapEndpoints(IEndpointRouteBuilder app);
}
