using Hygie.Core.Errors;
using Hygie.Governance.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hygie.Server.Endpoints;

/// <summary>What citizens read without an account: the projects and the dataset catalogue (counts rounded).</summary>
public static class PublicRegistryEndpoints
{
    public static void MapPublicRegistry(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/public").WithTags("public").AllowAnonymous();
        group.MapGet("/projects", (PublicRegistry registry, CancellationToken ct) => registry.ProjectsAsync(ct));
        group.MapGet("/projects/{id}", async (string id, PublicRegistry registry, CancellationToken ct) =>
            await registry.ProjectAsync(id, ct) ?? throw new NotFoundException($"project {id} is not in the public registry", "project-not-found"));
        group.MapGet("/datasets", (PublicRegistry registry, CancellationToken ct) => registry.DatasetsAsync(ct));
    }
}
