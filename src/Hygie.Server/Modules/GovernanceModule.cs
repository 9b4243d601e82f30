using Hygie.Core.Catalog;
using Hygie.Governance;
using Hygie.Governance.Access;
using Hygie.Governance.OptOuts;
using Hygie.Governance.Permits;
using Hygie.Governance.Projects;
using Hygie.Governance.Registry;
using Hygie.Governance.Users;
using Hygie.Server.Endpoints;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hygie.Server.Modules;

/// <summary>
/// Governance as the server hosts it: accounts, tokens, projects and permits, opt-outs, the access review and the
/// public registry. The dataset catalogue is the deposit module's; without it (or a <paramref name="catalog"/> given
/// here, as tests do) the catalogue is empty.
/// </summary>
public sealed class GovernanceModule(IDatasetCatalog? catalog = null) : IHubModule
{
    public IEnumerable<Migration> Migrations => GovernanceSchema.Migrations;

    public void AddServices(IServiceCollection services, Hub hub)
    {
        if (catalog is not null) services.AddSingleton(catalog);
        else services.TryAddSingleton<IDatasetCatalog, EmptyDatasetCatalog>();
        services.AddSingleton(sp => new UserDirectory(hub));
        services.AddSingleton<IAccountCountries>(sp => new AccountCountries(sp.GetRequiredService<UserDirectory>()));
        services.AddSingleton(sp => new TokenDesk(hub, sp.GetRequiredService<UserDirectory>(), sp.GetService<Core.Identity.ITenantDirectory>()));
        services.AddSingleton(sp => new ApplicationValidator(sp.GetRequiredService<IDatasetCatalog>(), sp.GetRequiredService<UserDirectory>()));
        services.AddSingleton(sp => new ProjectRegistry(hub, sp.GetRequiredService<ApplicationValidator>()));
        services.AddSingleton(sp => new PermitEvaluator(hub));
        services.AddSingleton(sp => new OptOutRegistry(hub));
        services.AddSingleton(sp => new AccessReview(hub, sp.GetRequiredService<ProjectRegistry>(), sp.GetRequiredService<UserDirectory>()));
        services.AddSingleton(sp => new AuditTrail(hub, sp.GetRequiredService<UserDirectory>()));
        services.AddSingleton(sp => new PublicRegistry(sp.GetRequiredService<ProjectRegistry>(), sp.GetRequiredService<UserDirectory>(), sp.GetRequiredService<IDatasetCatalog>()));
    }

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        app.MapGovernance();
        app.MapPublicRegistry();
    }
}

/// <summary>The audit middleware's view of the accounts: the country of each one's organisation.</summary>
internal sealed class AccountCountries(UserDirectory directory) : IAccountCountries
{
    public Task<string?> CountryOfAsync(string subject, CancellationToken ct) => directory.CountryOfAsync(subject, ct);
}
