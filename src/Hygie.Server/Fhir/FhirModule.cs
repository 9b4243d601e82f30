using Hygie.Fhir;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Server.Fhir;

/// <summary>
/// The FHIR store as the server hosts it: its schema, the <see cref="FhirStore"/> singleton, the background worker,
/// the tenant APIs under <c>/fhir/{tenant}/</c> and the operator's under <c>/api/fhir/tenants</c>.
/// Settings come from the options given here, overridden by configuration <c>Hygie:Fhir:*</c> (environment
/// <c>HYGIE__FHIR__MAXBODYBYTES</c>, <c>HYGIE__FHIR__SUBSCRIPTIONS__ALLOWPRIVATENETWORKS</c>…). Sealing is not a setting.
/// </summary>
public sealed class FhirModule(FhirOptions? options = null) : IHubModule
{
    public IEnumerable<Migration> Migrations => FhirSchema.Migrations;

    public void AddServices(IServiceCollection services, Hub hub)
    {
        services.AddSingleton(sp => new FhirStore(hub, Configure(options ?? new FhirOptions(), sp.GetService<IConfiguration>())));
        services.AddSingleton<Core.Identity.ITenantDirectory>(sp => sp.GetRequiredService<FhirStore>().Tenants);
        services.AddHostedService<FhirWorker>();
    }

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        app.MapFhir();
        app.MapFhirAdmin();
    }

    private static FhirOptions Configure(FhirOptions o, IConfiguration? configuration)
    {
        var section = configuration?.GetSection("Hygie:Fhir");
        if (section is null) return o;
        bool? Bool(string key) => bool.TryParse(section[key], out var v) ? v : null;
        long? Long(string key) => long.TryParse(section[key], out var v) ? v : null;
        return o with
        {
            AllowPrivateNetworkWebhooks = Bool("Subscriptions:AllowPrivateNetworks") ?? o.AllowPrivateNetworkWebhooks,
            MaxBodyBytes = Long("MaxBodyBytes") ?? o.MaxBodyBytes,
            DefaultPageSize = (int?)Long("DefaultPageSize") ?? o.DefaultPageSize,
            MaxPageSize = (int?)Long("MaxPageSize") ?? o.MaxPageSize,
        };
    }
}
