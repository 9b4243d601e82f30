using System.Security.Claims;
using Hygie.Core.Errors;
using Hygie.Core.Identity;
using Hygie.Ingest.Deposit;
using Hygie.Server.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Hygie.Server.Endpoints;

/// <summary>Datasets (operator creates, staff reads) and deposits (producer), the CSV streamed as the request body.</summary>
public static class DepositEndpoints
{
    public static void MapDeposit(this IEndpointRouteBuilder app)
    {
        var staff = new[] { Roles.Operator, Roles.Reviewer, Roles.Auditor, Roles.Researcher, Roles.Producer };
        var datasets = app.MapGroup("/api/datasets").WithTags("datasets");
        datasets.MapPost("", async (NewDataset body, ClaimsPrincipal user, DatasetService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(user.SubjectOf(), body, ct);
            return Results.Created($"/api/datasets/{created.Name}", created);
        }).RequireRoles(Roles.Operator);
        datasets.MapGet("", (DatasetService service, CancellationToken ct) => service.ListAsync(ct)).RequireRoles(staff);
        datasets.MapGet("/{name}", (string name, DatasetService service, CancellationToken ct) => service.ShowAsync(name, ct)).RequireRoles(staff);
        datasets.MapPost("/{name}/deposits", async (string name, string? table, string? delimiter, string? onError, string? file,
            HttpContext http, ClaimsPrincipal user, DatasetService service) =>
        {
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
            if (string.IsNullOrWhiteSpace(table)) throw new ValidationFailedException("name the table: ?table=ER_PRS_F", "table");
            char? delim = delimiter switch
            {
                null or "" => null,
                "tab" or "\\t" => '\t',
                { Length: 1 } d => d[0],
                _ => throw new ValidationFailedException("the delimiter is one character (or 'tab')", "delimiter"),
            };
            var quarantine = onError switch
            {
                null or "" or "fail" => false,
                "quarantine" => true,
                _ => throw new ValidationFailedException("onError is fail or quarantine", "onError"),
            };
            var report = await service.DepositSndsAsync(user.SubjectOf(), name, new SndsDepositRequest(table, delim, quarantine, file),
                http.Request.Body, http.RequestAborted);
            return Results.Ok(report);
        }).RequireRoles(Roles.Producer);
    }
}
