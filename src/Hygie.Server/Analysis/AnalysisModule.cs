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
    public IEnumerable<Migration> Migrations => [Airlock.Schema];

    public void AddServices(IServiceCollection services, Hub hub)
    {
        if (files is not null) services.AddSingleton(files);
        services.AddSingleton(sp => new WorkspaceService(hub, sp.GetRequiredService<PermitEvaluator>(), sp.GetRequiredService<OptOutRegistry>(),
            sp.GetRequiredService<IDatasetCatalog>(), sp, limits));
        services.AddSingleton(sp => new Airlock(hub, sp.GetRequiredService<WorkspaceService>(), sp.GetRequiredService<PermitEvaluator>()));
    }

    private static List<string> RolesOf(ClaimsPrincipal user) => user.FindAll(HygieClaims.Role).Select(c => c.Value).ToList();

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        var projects = app.MapGroup("/api/projects").WithTags("analysis");
        projects.MapPost("/{id}/query", (string id, QueryRequest body, ClaimsPrincipal user, WorkspaceService workspaces, CancellationToken ct) =>
            workspaces.QueryAsync(user.SubjectOf(), id, body.Sql ?? "", body.Page ?? 0, body.PageSize ?? 100, ct)).RequireRoles(Roles.Researcher);
        projects.MapPost("/{id}/explain", async (string id, QueryRequest body, ClaimsPrincipal user, WorkspaceService workspaces, CancellationToken ct) =>
            new ExplainResponse(await workspaces.ExplainAsync(user.SubjectOf(), id, body.Sql ?? "", ct))).RequireRoles(Roles.Researcher);
        projects.MapGet("/{id}/queries", (string id, int? limit, ClaimsPrincipal user, WorkspaceService workspaces, CancellationToken ct) =>
            workspaces.HistoryAsync(user.SubjectOf(), id, limit ?? 50, ct)).RequireRoles(Roles.Researcher);
        projects.MapGet("/{id}/workspace/tables", (string id, ClaimsPrincipal user, WorkspaceService workspaces, CancellationToken ct) =>
            workspaces.TablesAsync(user.SubjectOf(), id, ct)).RequireRoles(Roles.Researcher);

        // ---- the output airlock ----
        projects.MapPost("/{id}/releases", async (string id, ReleaseRequest body, ClaimsPrincipal user, Airlock airlock, CancellationToken ct) =>
        {
            var release = await airlock.RequestAsync(user.SubjectOf(), id, body, ct);
            return Results.Created($"/api/releases/{release.Id}", release);
        }).RequireRoles(Roles.Researcher);
        projects.MapGet("/{id}/releases", (string id, ClaimsPrincipal user, Airlock airlock, CancellationToken ct) =>
            airlock.ListAsync(user.SubjectOf(), RolesOf(user), id, ct)).RequireRoles(Roles.Researcher, Roles.Reviewer, Roles.Auditor);
        var releases = app.MapGroup("/api/releases").WithTags("airlock");
        releases.MapGet("", (ClaimsPrincipal user, Airlock airlock, CancellationToken ct) =>
            airlock.ReviewQueueAsync(user.SubjectOf(), RolesOf(user), ct)).RequireRoles(Roles.Reviewer);
        releases.MapGet("/{id}", (string id, ClaimsPrincipal user, Airlock airlock, CancellationToken ct) =>
            airlock.GetAsync(user.SubjectOf(), RolesOf(user), id, ct)).RequireRoles(Roles.Researcher, Roles.Reviewer, Roles.Auditor);
        releases.MapPost("/{id}/review", (string id, ReleaseVoteRequest body, ClaimsPrincipal user, Airlock airlock, CancellationToken ct) =>
            airlock.VoteAsync(user.SubjectOf(), RolesOf(user), id, body.Vote ?? "", body.Comment, ct)).RequireRoles(Roles.Reviewer);
        releases.MapGet("/{id}/download", async (string id, string? format, ClaimsPrincipal user, Airlock airlock, CancellationToken ct) =>
            Results.File(await airlock.DownloadAsync(user.SubjectOf(), id, format ?? "csv", ct), "text/csv", $"{id}.csv")).RequireRoles(Roles.Researcher);
        app.MapGet("/public/releases", (Airlock airlock, CancellationToken ct) => airlock.PublicLogAsync(ct)).WithTags("public").AllowAnonymous();
    }
}


public sealed record QueryRequest(string? Sql, int? Page, int? PageSize);

public sealed record ExplainResponse(string Plan);
