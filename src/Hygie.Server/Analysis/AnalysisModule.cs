using System.Security.Claims;
using Hygie.Analytics;
using Hygie.Core.Catalog;
using Hygie.Core.Identity;
using Hygie.Governance.OptOuts;
using Hygie.Governance.Permits;
using Hygie.Server.Auth;
using Hygie.Server.Endpoints;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Server.Analysis;

/// <summary>
/// Secure analysis: a researcher's queries on the project workspace, shown a page at a time. There is deliberately no
/// route that returns a whole row-level result: results leave the hub only through the airlock. The dataset files are
/// the deposit module's (an <see cref="IDatasetFiles"/> in the services); tests may pass their own.
/// </summary>
public sealed class AnalysisModule(IDatasetFiles? files = null, WorkspaceLimits? limits = null) : IHubModule
{
    public IEnumerable<Migration> Migrations => [];

    public void AddServices(IServiceCollection services, Hub hub)
    {
        if (files is not null) services.AddSingleton(files);
        services.AddSingleton(sp => new WorkspaceService(hub, sp.GetRequiredService<PermitEvaluator>(), sp.GetRequiredService<OptOutRegistry>(),
            sp.GetRequiredService<IDatasetCatalog>(), sp, limits));
    }

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var projects = app.MapGroup("/api/projects").WithTags("analysis");
        projects.MapPost("/{id}/query", (string id, QueryRequest body, ClaimsPrincipal user, WorkspaceService workspaces, CancellationToken ct) =>
            workspaces.QueryAsync(user.SubjectOf(), id, body.Sql ?? "", body.Page ?? 0, body.PageSize ?? 100, ct)).RequireRoles(Roles.Researcher);
        projects.MapPost("/{id}/explain", async (string id, QueryRequest body, ClaimsPrincipal user, WorkspaceService workspaces, CancellationToken ct) =>
            new ExplainResponse(await workspaces.ExplainAsync(user.SubjectOf(), id, body.Sql ?? "", ct))).RequireRoles(Roles.Researcher);
        projects.MapGet("/{id}/workspace/tables", (string id, ClaimsPrincipal user, WorkspaceService workspaces, CancellationToken ct) =>
            workspaces.TablesAsync(user.SubjectOf(), id, ct)).RequireRoles(Roles.Researcher);
    }
}

public sealed record QueryRequest(string? Sql, int? Page, int? PageSize);

public sealed record ExplainResponse(string Plan);
