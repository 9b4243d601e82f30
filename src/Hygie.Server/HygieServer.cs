using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Server.Auth;
using Hygie.Server.Endpoints;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hygie.Server;

/// <summary>
/// The one enforcement point: every user action passes through this host, which authenticates the caller, applies
/// roles and permits, audits the request and answers errors as problem+json.
/// </summary>
public static class HygieServer
{
    public static WebApplication Build(Hub hub, ServerOptions options, IReadOnlyList<IHubModule>? modules = null, Action<WebApplicationBuilder>? configure = null)
    {
        modules ??= HubModules.All;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "Hygie" });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
        });
        // Request lines can carry search values (FHIR identifiers): framework request logs stay off below warnings.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // A failed start (port in use) is reported by the caller in one line, not as a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

        builder.Services.AddSingleton(hub);
        builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(hub.DataDirectory, "web-keys")));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new AccessCountrySource(options.AccessCountry?.Validate()));
        builder.Services.AddSingleton(hub.Clock);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<HygieExceptionHandler>();
        builder.Services.AddHygieAuthentication(hub, options.Oidc);
        builder.Services.AddAuthorization();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);
        foreach (var module in modules) module.AddServices(builder.Services, hub);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages(async ctx =>
        {
            var response = ctx.HttpContext.Response;
            if (response.ContentType is null)
                await ProblemResponses.WriteAsync(ctx.HttpContext, response.StatusCode, $"http-{response.StatusCode}",
                    response.StatusCode == 404 ? "Not found" : "Request failed", response.StatusCode == 404 ? "no such route" : $"HTTP {response.StatusCode}");
        });
        app.UseAuthentication();
        foreach (var module in modules) module.UsePipeline(app);
        app.Use(AuditAuthenticatedRequests);
        app.UseAuthorization();

        app.MapOpenApi();
        app.MapHealth();
        app.MapStatus();
        foreach (var module in modules) module.MapEndpoints(app);
        return app;
    }

    /// <summary>
    /// Every authenticated request leaves an audit event: who, what route, how it ended (path only: no query values),
    /// and where it came from when known — the <c>country</c> a trusted proxy gave, else that of the account's
    /// organisation — which the compliance report counts (accesses from outside the EEA).
    /// </summary>
    private static async Task AuditAuthenticatedRequests(HttpContext context, RequestDelegate next)
    {
        Exception? failure = null;
        try
        {
            await next(context);
        }
        catch (Exception e)
        {
            // still in flight: the exception handler, further out, writes the problem response after this event
            failure = e;
            throw;
        }
        finally
        {
            if (context.User.Identity?.IsAuthenticated == true)
            {
                var hub = context.RequestServices.GetRequiredService<Hub>();
                var status = failure switch
                {
                    null => context.Response.StatusCode,
                    HygieException e => e.Status,
                    BadHttpRequestException bad => bad.StatusCode,
                    _ => 500,
                };
                var subject = context.User.SubjectOf();
                var details = new Dictionary<string, string> { ["status"] = status.ToString(), ["token"] = context.User.FindFirst(HygieClaims.TokenId)?.Value ?? "" };
                var (country, source) = await context.RequestServices.GetRequiredService<AccessCountrySource>().CountryOfAsync(context, subject);
                if (country is not null)
                {
                    details["country"] = country;
                    details["countrySource"] = source!;
                }
                // a refusal keeps the rule it broke and the field, not the message: that one is for the caller and may
                // quote what they sent (a file name that names a patient)
                var reason = failure switch
                {
                    ValidationFailedException { Field: { } field } invalid => $"{invalid.Code} (field {field})",
                    HygieException refused => refused.Code,
                    _ => null,
                };
                var outcome = status < 400 ? AuditOutcome.Success
                    : status is 401 or 403 || failure is HygieException { Status: < 500 } ? AuditOutcome.Refused
                    : AuditOutcome.Failed;
                await hub.Audit.AppendAsync(new AuditEntry(
                    subject, "http.request", $"{context.Request.Method} {context.Request.Path}", outcome, reason, Details: details));
            }
        }
    }

    /// <summary>Where a request came from: a trusted proxy's header first, then the country of the account's organisation.</summary>
    private sealed class AccessCountrySource(AccessCountryOptions? options)
    {
        private readonly string? _header = string.IsNullOrWhiteSpace(options?.Header) ? null : options.Header;
        private readonly IReadOnlyList<System.Net.IPNetwork> _proxies = options?.Networks() ?? [];

        public async Task<(string? Country, string? Source)> CountryOfAsync(HttpContext context, string subject)
        {
            if (_header is not null && context.Connection.RemoteIpAddress is { } remote)
            {
                var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
                // From anyone else the header is ignored: a client could claim any country.
                if (_proxies.Any(p => p.Contains(address)) && context.Request.Headers[_header] is { Count: 1 } values
                    && Core.Sovereignty.Countries.Code(values[0]) is { } fromProxy)
                    return (fromProxy, "proxy");
            }
            if (context.RequestServices.GetService<IAccountCountries>() is { } accounts
                && Core.Sovereignty.Countries.Code(await accounts.CountryOfAsync(subject, context.RequestAborted)) is { } fromAccount)
                return (fromAccount, "organisation");
            return (null, null);
        }
    }
}
