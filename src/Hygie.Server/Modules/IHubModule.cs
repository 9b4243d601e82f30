using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;
using Microsoft.AspNetCore.Builder;
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

    /// <summary>
    /// Middleware of the module, run after the hub's authentication and before its request audit and authorization
    /// (the web console signs its cookie users in here, so that their requests are audited like any other).
    /// </summary>
    void UsePipeline(IApplicationBuilder app) { }
}
