using Hygie.Core.Errors;
using Hygie.Core.Identity;
using Hygie.Fhir;
using Hygie.Fhir.Alerts;
using Hygie.Fhir.Bulk;
using Hygie.Fhir.Rest;
using Hygie.Fhir.Tenants;
using Hygie.Server.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Server.Fhir;

/// <summary>
/// The operator's side of the FHIR store (problem+json API): tenants, alert rules, and the deposit of a tenant's data
/// into a research dataset. Tenant tokens are issued like every other token (<c>POST /api/tokens</c> with a tenant).
/// </summary>
public static class FhirAdminEndpoints
{
    public static void MapFhirAdmin(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/fhir/tenants").RequireRoles(Roles.Operator).WithTags("fhir-admin");

        api.MapPost("/", async (TenantRequest request, HttpContext http, FhirStore store, CancellationToken ct) =>
        {
            var tenant = await store.Tenants.CreateAsync(request.Name ?? "", request.NameSearch, http.User.SubjectOf(), ct);
            return Results.Created($"/api/fhir/tenants/{tenant.Id}", View(tenant, http));
        });
        api.MapGet("/", async (HttpContext http, FhirStore store, CancellationToken ct) =>
            Results.Ok((await store.Tenants.ListAsync(ct)).Select(t => View(t, http))));
        api.MapGet("/{tenant}", async (string tenant, HttpContext http, FhirStore store, CancellationToken ct) =>
            Results.Ok(View(await store.Tenants.GetAsync(tenant, ct), http)));

        api.MapPost("/{tenant}/alert-rules", async (string tenant, HttpContext http, FhirStore store, CancellationToken ct) =>
        {
            using var buffer = new MemoryStream();
            await http.Request.Body.CopyToAsync(buffer, ct);
            var rule = AlertRule.Parse(buffer.ToArray());
            await store.Alerts.AddAsync(tenant, rule, http.User.SubjectOf(), ct);
            return Results.Created($"/api/fhir/tenants/{tenant}/alert-rules/{rule.Id}", RuleView(rule));
        });
        api.MapGet("/{tenant}/alert-rules", async (string tenant, FhirStore store, CancellationToken ct) =>
            Results.Ok((await store.Alerts.ListAsync(tenant, ct)).Select(RuleView)));
        api.MapDelete("/{tenant}/alert-rules/{id}", async (string tenant, string id, HttpContext http, FhirStore store, CancellationToken ct) =>
        {
            await store.Alerts.DeleteAsync(tenant, id, http.User.SubjectOf(), ct);
            return Results.NoContent();
        });

        // The deposit pipeline (Hygie.Ingest, the deposit module) answers this route; a host without it has no such route.
        if (app.ServiceProvider.GetService<IFhirExportDeposit>() is null) return;
        api.MapPost("/{tenant}/deposits", async (string tenant, DepositRequest request, HttpContext http, FhirStore store, CancellationToken ct) =>
        {
            var depositor = http.RequestServices.GetRequiredService<IFhirExportDeposit>();
            if (string.IsNullOrWhiteSpace(request.Dataset)) throw new ValidationFailedException("name the dataset to deposit into", "dataset");
            var actor = http.User.SubjectOf();
            var ctx = new FhirRequestContext(await store.OpenTenantAsync(tenant, ct), new FhirCaller(actor, tenant, new SmartScopes(["system/*.read"])),
                FhirHttp.BaseUrl(http, tenant), strictHandling: true, ReturnPreference.Minimal);
            var query = new List<KeyValuePair<string, string>>();
            if (request.Types is { Length: > 0 }) query.Add(new("_type", string.Join(',', request.Types)));
            if (request.Since is not null) query.Add(new("_since", request.Since.Value.ToString("O")));
            var job = await store.Exports.KickOffAsync(ctx, "system", null, query, $"deposit:{request.Dataset}", ct);
            await store.Exports.RunAsync(job, ct);
            await CompletedAsync(store, job, ct);
            var deposit = await depositor.DepositAsync(tenant, request.Dataset!, store.Exports.ReadResourcesAsync(job, actor, ct), actor, ct);
            return Results.Created($"/api/datasets/{request.Dataset}", new { export = job, deposit, dataset = request.Dataset });
        });
    }

    /// <summary>
    /// The export worker may have picked the job up first (kick-off wakes it), in which case <c>RunAsync</c> returned at
    /// once: wait for whichever run has it to finish.
    /// </summary>
    private static async Task CompletedAsync(FhirStore store, string job, CancellationToken ct)
    {
        while (true)
        {
            var state = await store.Exports.FindAsync(job, ct) ?? throw new HubStateException($"export {job} disappeared", "export-missing");
            if (state.Status == "completed") return;
            if (state.Status is "failed" or "cancelled")
                throw new HubStateException($"the export of the tenant {state.Status}: {state.Error ?? "no reason given"}; nothing was deposited", "export-failed");
            await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
        }
    }

    private static object View(Tenant t, HttpContext http) => new
    {
        id = t.Id,
        fhirBase = FhirHttp.BaseUrl(http, t.Id),
        nameSearch = t.NameSearch ? "prefix" : "exact",
        dataKeyId = t.DataKeyId,
        indexKeyId = t.IndexKeyId,
        createdAt = t.Created,
        createdBy = t.CreatedBy,
    };

    private static object RuleView(AlertRule r) => new
    {
        id = r.Id,
        name = r.Name,
        code = new { system = r.Code.System, code = r.Code.Code },
        condition = r.Condition.Type,
        describe = r.Describe(),
        severity = r.Severity,
        rule = System.Text.Json.JsonDocument.Parse(r.ToJson()).RootElement,
    };
}

public sealed record TenantRequest(string? Name, bool NameSearch = false);

public sealed record DepositRequest(string? Dataset, string[]? Types = null, DateTimeOffset? Since = null);
