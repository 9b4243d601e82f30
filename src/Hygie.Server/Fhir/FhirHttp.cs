using System.Security.Claims;
using Hygie.Core.Errors;
using Hygie.Fhir;
using Hygie.Fhir.Rest;
using Hygie.Server.Auth;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hygie.Server.Fhir;

/// <summary>
/// HTTP around the FHIR store: who calls (token claims → tenant and SMART scopes), the client's preferences, bodies
/// (size limit → 413), and answers — resources, Bundles, and every error as an OperationOutcome (not problem+json).
/// </summary>
internal static class FhirHttp
{
    public static string BaseUrl(HttpContext http, string tenant) =>
        $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/fhir/{tenant}/";

    public static FhirCaller Caller(ClaimsPrincipal user) => new(
        user.SubjectOf(),
        user.FindFirst(HygieClaims.Tenant)?.Value,
        new SmartScopes(user.FindAll(HygieClaims.Scope).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))),
        user.FindFirst(HygieClaims.TokenId)?.Value);

    public static (bool Strict, ReturnPreference Return, bool RespondAsync) Prefer(HttpRequest request)
    {
        bool strict = false, async = false;
        var ret = ReturnPreference.Representation;
        foreach (var value in request.Headers["Prefer"])
            foreach (var part in (value ?? "").Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                switch (part.Replace(" ", ""))
                {
                    case "handling=strict": strict = true; break;
                    case "handling=lenient": strict = false; break;
                    case "return=minimal": ret = ReturnPreference.Minimal; break;
                    case "return=representation": ret = ReturnPreference.Representation; break;
                    case "return=OperationOutcome": ret = ReturnPreference.OperationOutcome; break;
                    case "respond-async": async = true; break;
                }
            }
        return (strict, ret, async);
    }

    /// <summary>Authenticates and opens the tenant for the caller; every refusal is an OperationOutcome.</summary>
    public static async Task<FhirRequestContext> OpenAsync(HttpContext http, string tenant)
    {
        if (http.User.Identity?.IsAuthenticated != true)
            throw new FhirException(401, "login", "a valid bearer token is required (Authorization: Bearer …)");
        var (strict, ret, _) = Prefer(http.Request);
        var store = http.RequestServices.GetRequiredService<FhirStore>();
        return await store.OpenAsync(tenant, Caller(http.User), BaseUrl(http, tenant), strict, ret, http.RequestAborted);
    }

    /// <summary>Reads the whole body within the FHIR size limit: larger ones are answered 413.</summary>
    public static async Task<byte[]> BodyAsync(HttpContext http, long limit, bool requireJson = true)
    {
        if (http.Request.ContentLength > limit)
            throw FhirException.TooLarge($"the body ({http.Request.ContentLength} bytes) is larger than this server accepts ({limit} bytes)");
        if (requireJson && http.Request.ContentType is { } type && !IsJson(type))
            throw new FhirException(415, "not-supported", $"this server reads FHIR JSON (application/fhir+json), not '{type}'");
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false } && (feature.MaxRequestBodySize is null || feature.MaxRequestBodySize > limit))
            feature.MaxRequestBodySize = limit;
        using var buffer = new MemoryStream();
        try
        {
            await http.Request.Body.CopyToAsync(buffer, http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw FhirException.TooLarge($"the body is larger than this server accepts ({limit} bytes)");
        }
        if (buffer.Length > limit) throw FhirException.TooLarge($"the body is larger than this server accepts ({limit} bytes)");
        if (buffer.Length == 0) throw FhirException.BadRequest("the request has no body");
        return buffer.ToArray();
    }

    private static bool IsJson(string contentType)
    {
        var media = contentType.Split(';')[0].Trim().ToLowerInvariant();
        return media is "application/fhir+json" or "application/json" or "application/json-patch+json" or "text/json" or "application/x-www-form-urlencoded";
    }

    public static async Task WriteAsync(HttpContext http, FhirResult result)
    {
        var response = http.Response;
        response.StatusCode = result.Status;
        if (result.Location is not null)
        {
            response.Headers.Location = result.Location;
            response.Headers.ContentLocation = result.Location;
        }
        if (result.ETag is not null) response.Headers.ETag = result.ETag;
        if (result.LastModified is not null) response.Headers.LastModified = result.LastModified.Value.ToString("R");
        if (result.Body is null) return;
        response.ContentType = result.ContentType;
        response.ContentLength = result.Body.Length;
        if (!HttpMethods.IsHead(http.Request.Method)) await response.Body.WriteAsync(result.Body, http.RequestAborted);
    }

    /// <summary>Runs a FHIR handler; every error becomes an OperationOutcome with the right status.</summary>
    public static async Task RunAsync(HttpContext http, Func<Task> handler)
    {
        try
        {
            await handler();
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            var result = e switch
            {
                FhirException f => new FhirResult(f.Status, FhirResult.OperationOutcomeJson(f.Issues)),
                HygieException h => FhirResult.Outcome(h.Status, new FhirIssue("error", h.Status switch
                {
                    404 => "not-found",
                    403 => "forbidden",
                    409 => "conflict",
                    410 => "deleted",
                    _ => h.Status >= 500 ? "exception" : "invalid",
                }, h.Message)),
                BadHttpRequestException b => FhirResult.Outcome(b.StatusCode, new FhirIssue("error", b.StatusCode == 413 ? "too-costly" : "invalid", b.Message)),
                OperationCanceledException when http.RequestAborted.IsCancellationRequested => null,
                _ => Unexpected(http, e),
            };
            if (result is null) return;
            if (result.Status == 401) http.Response.Headers.WWWAuthenticate = "Bearer";
            await WriteAsync(http, result);
        }
    }

    private static FhirResult Unexpected(HttpContext http, Exception e)
    {
        // The message may quote resource data: log the type and trace id only.
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Hygie.Fhir")
            .LogError("unhandled {ExceptionType} in FHIR route {Path} (trace {TraceId})", e.GetType().FullName, http.Request.Path.Value, http.TraceIdentifier);
        return FhirResult.Outcome(500, new FhirIssue("fatal", "exception", $"the hub failed to process the request (trace {http.TraceIdentifier})"));
    }

    /// <summary>The request's query as decoded pairs, keys repeated as given.</summary>
    public static List<KeyValuePair<string, string>> Query(HttpRequest request) =>
        request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
}
