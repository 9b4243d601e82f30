using Hygie.Fhir;
using Hygie.Fhir.Bulk;
using Hygie.Fhir.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Server.Fhir;

/// <summary>
/// The FHIR R4 REST API of each tenant under <c>/fhir/{tenant}/</c>: capabilities, instance and type interactions,
/// history, search, batch/transaction, Bulk Data export, and subscription status. Authorization is by tenant token and
/// SMART scopes, decided in the store; every answer is FHIR JSON and every error an OperationOutcome.
/// </summary>
public static class FhirEndpoints
{
    private static readonly string[] AllMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    public static void MapFhir(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup("/fhir/{tenant}").AllowAnonymous().WithTags("fhir").ExcludeFromDescription();

        fhir.MapGet("/metadata", (HttpContext http, string tenant) => Run(http, async () =>
        {
            var store = Store(http);
            _ = await store.Tenants.FindAsync(tenant, http.RequestAborted) ?? throw FhirException.NotFound($"there is no FHIR tenant '{tenant}' on this hub");
            await FhirHttp.WriteAsync(http, new FhirResult(200, Capability.Json(FhirHttp.BaseUrl(http, tenant), store.Hub.Clock.GetUtcNow())));
        }));

        // Whole system: batch / transaction, history.
        fhir.MapPost("/", (HttpContext http, string tenant) => Run(http, async () =>
        {
            var ctx = await FhirHttp.OpenAsync(http, tenant);
            var body = await FhirHttp.BodyAsync(http, Store(http).Options.MaxBodyBytes);
            await FhirHttp.WriteAsync(http, await Store(http).BundleAsync(ctx, body, http.RequestAborted));
        }));
        fhir.MapGet("/_history", (HttpContext http, string tenant) => Run(http, async () =>
        {
            var ctx = await FhirHttp.OpenAsync(http, tenant);
            await FhirHttp.WriteAsync(http, await Store(http).SystemHistoryAsync(ctx, FhirHttp.Query(http.Request), http.RequestAborted));
        }));

        // Bulk Data export.
        fhir.MapGet("/$export", (HttpContext http, string tenant) => KickOff(http, tenant, "system", null));
        fhir.MapGet("/Patient/$export", (HttpContext http, string tenant) => KickOff(http, tenant, "patient", null));
        fhir.MapGet("/Group/{id}/$export", (HttpContext http, string tenant, string id) => KickOff(http, tenant, "group", id));
        fhir.MapGet("/$export-status/{job}", (HttpContext http, string tenant, string job) => Run(http, async () =>
        {
            var ctx = await FhirHttp.OpenAsync(http, tenant);
            var export = await Store(http).Exports.GetAsync(ctx, job, http.RequestAborted);
            switch (export.Status)
            {
                case "queued" or "running":
                    http.Response.Headers["X-Progress"] = export.Status;
                    http.Response.Headers.RetryAfter = "1";
                    http.Response.StatusCode = 202;
                    break;
                case "completed":
                    http.Response.StatusCode = 200;
                    http.Response.ContentType = "application/json";
                    await http.Response.Body.WriteAsync(BulkExportService.Manifest(export, ctx.BaseUrl), http.RequestAborted);
                    break;
                case "failed":
                    await FhirHttp.WriteAsync(http, FhirResult.Outcome(500, new FhirIssue("error", "exception", export.Error ?? "the export failed")));
                    break;
                default:
                    throw FhirException.NotFound($"export {job} was deleted");
            }
        }));
        fhir.MapDelete("/$export-status/{job}", (HttpContext http, string tenant, string job) => Run(http, async () =>
        {
            var ctx = await FhirHttp.OpenAsync(http, tenant);
            await Store(http).Exports.DeleteAsync(ctx, job, http.RequestAborted);
            http.Response.StatusCode = 202;
        }));
        fhir.MapGet("/$export-file/{job}/{file}", (HttpContext http, string tenant, string job, string file) => Run(http, async () =>
        {
            var ctx = await FhirHttp.OpenAsync(http, tenant);
            var (content, _) = await Store(http).Exports.OpenFileAsync(ctx, job, file, http.RequestAborted);
            await using (content)
            {
                http.Response.StatusCode = 200;
                http.Response.ContentType = FhirMedia.NdJson;
                await content.CopyToAsync(http.Response.Body, 1 << 16, http.RequestAborted);
            }
        }));

        fhir.MapGet("/Subscription/{id}/$status", (HttpContext http, string tenant, string id) => Run(http, async () =>
        {
            var ctx = await FhirHttp.OpenAsync(http, tenant);
            await FhirHttp.WriteAsync(http, await Store(http).SubscriptionStatusAsync(ctx, id, http.RequestAborted));
        }));

        // Type level.
        fhir.MapGet("/{type}", (HttpContext http, string tenant, string type) => Interaction(http, tenant, "GET", type));
        fhir.MapPost("/{type}", (HttpContext http, string tenant, string type) => Interaction(http, tenant, "POST", type));
        fhir.MapPut("/{type}", (HttpContext http, string tenant, string type) => Interaction(http, tenant, "PUT", type));
        fhir.MapPatch("/{type}", (HttpContext http, string tenant, string type) => Interaction(http, tenant, "PATCH", type));
        fhir.MapDelete("/{type}", (HttpContext http, string tenant, string type) => Interaction(http, tenant, "DELETE", type));
        fhir.MapPost("/{type}/_search", (HttpContext http, string tenant, string type) => Run(http, async () =>
        {
            var ctx = await FhirHttp.OpenAsync(http, tenant);
            var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync(http.RequestAborted) : null;
            var pairs = FhirHttp.Query(http.Request);
            if (form is not null) pairs.AddRange(form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? ""))));
            var op = Operation(http, "GET", $"{type}?{Hygie.Fhir.Rest.QueryString.Encode(pairs)}", ctx);
            await FhirHttp.WriteAsync(http, await Store(http).ExecuteAsync(ctx, op, http.RequestAborted));
        }));
        fhir.MapGet("/{type}/_history", (HttpContext http, string tenant, string type) => Interaction(http, tenant, "GET", $"{type}/_history"));

        // Instance level.
        fhir.MapGet("/{type}/{id}", (HttpContext http, string tenant, string type, string id) => Interaction(http, tenant, "GET", $"{type}/{id}"));
        fhir.MapMethods("/{type}/{id}", ["HEAD"], (HttpContext http, string tenant, string type, string id) => Interaction(http, tenant, "GET", $"{type}/{id}"));
        fhir.MapPut("/{type}/{id}", (HttpContext http, string tenant, string type, string id) => Interaction(http, tenant, "PUT", $"{type}/{id}"));
        fhir.MapPatch("/{type}/{id}", (HttpContext http, string tenant, string type, string id) => Interaction(http, tenant, "PATCH", $"{type}/{id}"));
        fhir.MapDelete("/{type}/{id}", (HttpContext http, string tenant, string type, string id) => Interaction(http, tenant, "DELETE", $"{type}/{id}"));
        fhir.MapGet("/{type}/{id}/_history", (HttpContext http, string tenant, string type, string id) => Interaction(http, tenant, "GET", $"{type}/{id}/_history"));
        fhir.MapGet("/{type}/{id}/_history/{vid}", (HttpContext http, string tenant, string type, string id, string vid) =>
            Interaction(http, tenant, "GET", $"{type}/{id}/_history/{vid}"));

        // Anything else under a tenant's base: an OperationOutcome, not the hub's problem+json.
        fhir.MapMethods("/{**rest}", AllMethods, (HttpContext http, string tenant, string rest) => Run(http, () =>
            throw new FhirException(404, "not-supported", $"{http.Request.Method} /fhir/{tenant}/{rest} is not a FHIR interaction this server supports")));
    }

    private static FhirStore Store(HttpContext http) => http.RequestServices.GetRequiredService<FhirStore>();

    private static Task Run(HttpContext http, Func<Task> handler) => FhirHttp.RunAsync(http, handler);

    private static EntryOperation Operation(HttpContext http, string method, string path, FhirRequestContext ctx, byte[]? patch = null)
    {
        var op = new EntryOperation
        {
            Method = method,
            Url = path,
            IfMatch = http.Request.Headers.IfMatch.FirstOrDefault(),
            IfNoneExist = http.Request.Headers["If-None-Exist"].FirstOrDefault(),
            IfNoneMatch = http.Request.Headers.IfNoneMatch.FirstOrDefault(),
            IfModifiedSince = http.Request.Headers.IfModifiedSince.FirstOrDefault(),
            PatchBody = patch,
            PatchContentType = patch is null ? null : http.Request.ContentType,
        };
        op.ParseUrl(ctx.BaseUrl);
        return op;
    }

    private static Task Interaction(HttpContext http, string tenant, string method, string path) => Run(http, async () =>
    {
        var ctx = await FhirHttp.OpenAsync(http, tenant);
        var store = Store(http);
        var query = http.Request.QueryString.HasValue ? http.Request.QueryString.Value! : "";
        // Scopes are checked before the body is even read: a token that may not write learns nothing about validation.
        var type = path.Split('/')[0];
        switch (method)
        {
            case "POST": ctx.Caller.Scopes.Require(type, SmartAction.Create); break;
            case "PATCH": ctx.Caller.Scopes.Require(type, SmartAction.Update); break;
            case "DELETE": ctx.Caller.Scopes.Require(type, SmartAction.Delete); break;
            case "PUT" when !ctx.Caller.Scopes.Allows(type, SmartAction.Create): ctx.Caller.Scopes.Require(type, SmartAction.Update); break;
        }
        byte[]? body = null;
        if (method is "POST" or "PUT" or "PATCH") body = await FhirHttp.BodyAsync(http, store.Options.MaxBodyBytes);
        var isJsonPatch = method == "PATCH" && (http.Request.ContentType ?? "").StartsWith("application/json-patch+json", StringComparison.OrdinalIgnoreCase);
        var op = Operation(http, method, path + query, ctx, isJsonPatch ? body : null);
        if (body is not null && !isJsonPatch)
        {
            op.Resource = Hygie.Fhir.Serialization.FhirJson.Parse(body);
            if (method == "PATCH" && op.Resource is not Hl7.Fhir.Model.Parameters)
                throw FhirException.BadRequest("a PATCH body is a JSON Patch (application/json-patch+json) or a FHIRPath Patch Parameters resource");
        }
        await FhirHttp.WriteAsync(http, await store.ExecuteAsync(ctx, op, http.RequestAborted));
    });

    private static Task KickOff(HttpContext http, string tenant, string kind, string? group) => Run(http, async () =>
    {
        var ctx = await FhirHttp.OpenAsync(http, tenant);
        var url = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}{http.Request.Path}{http.Request.QueryString}";
        var job = await Store(http).Exports.KickOffAsync(ctx, kind, group, FhirHttp.Query(http.Request), url, http.RequestAborted);
        http.Response.StatusCode = 202;
        http.Response.Headers.ContentLocation = $"{ctx.BaseUrl}$export-status/{job}";
        http.Response.ContentType = FhirMedia.Json;
        await http.Response.Body.WriteAsync(FhirResult.OperationOutcomeJson([new FhirIssue("information", "informational",
            $"export {job} accepted: poll {ctx.BaseUrl}$export-status/{job}")]), http.RequestAborted);
    });

}
