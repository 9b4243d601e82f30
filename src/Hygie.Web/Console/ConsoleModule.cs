using System.Globalization;
using Hygie.Server;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Localization;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Web.Console;

/// <summary>
/// The web console as a hub module: Razor Pages calling the same module services as the API, signed in by an
/// encrypted cookie (a hub token typed once, or OpenID Connect), antiforgery on every form, French by default, and
/// strict security headers on the console's routes only (the API, FHIR and public JSON routes are left as they are).
/// </summary>
public sealed class ConsoleModule : IHubModule
{
    public static readonly CultureInfo[] Cultures = [new("fr-FR"), new("en-GB")];

    public IEnumerable<Migration> Migrations => [];

    /// <summary>The sign-in form's post ends in a redirect to the provider: form-action must allow its origin (and no other).</summary>
    private string _policy = SecurityHeaders.PolicyFor(null);

    public void AddServices(IServiceCollection services, Hub hub)
    {
        services.AddSingleton<ConsoleText>();
        // French and English text as characters, not numeric entities (the encoder still escapes markup).
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(o =>
            o.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        services.Configure<RouteOptions>(o => o.ConstraintMap["consolepath"] = typeof(ConsolePathConstraint));
        services.AddSingleton<ActivityChart>();
        services.AddRazorPages(o =>
            {
                o.RootDirectory = "/Pages";
                // Razor Pages validate the antiforgery token of every POST; the filter turns a refusal into a page that says why.
            })
            .AddMvcOptions(o =>
            {
                o.Filters.Add<ConsolePageFilter>();
                o.Filters.Add<AntiforgeryRefusalFilter>();
            })
            .ConfigureApplicationPartManager(parts =>
            {
                // Only the console's own pages: the host's entry assembly is the CLI, which holds none.
                parts.ApplicationParts.Clear();
                var assembly = typeof(ConsoleModule).Assembly;
                foreach (var part in ApplicationPartFactory.GetApplicationPartFactory(assembly).GetApplicationParts(assembly))
                    parts.ApplicationParts.Add(part);
            });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "hygie.antiforgery";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__csrf";
            o.HeaderName = null;
        });
        services.Configure<RequestLocalizationOptions>(o =>
        {
            o.DefaultRequestCulture = new RequestCulture(Cultures[0]);
            o.SupportedCultures = Cultures;
            o.SupportedUICultures = Cultures;
            // French unless the reader chose otherwise (the switch's cookie, or ?culture=en): not the browser's language.
            o.RequestCultureProviders = [new QueryStringRequestCultureProvider(), new CookieRequestCultureProvider()];
        });
        var server = services.Where(d => d.ServiceType == typeof(ServerOptions)).Select(d => d.ImplementationInstance).OfType<ServerOptions>().FirstOrDefault();
        var authentication = services.AddAuthentication().AddCookie(ConsoleAuth.CookieScheme, o =>
        {
            o.Cookie.Name = ConsoleAuth.CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.Path = "/";
            o.LoginPath = "/signin";
            o.LogoutPath = "/signout";
            o.AccessDeniedPath = "/signin";
            o.SlidingExpiration = false;
            o.ExpireTimeSpan = ConsoleAuth.SessionLifetime;
            o.TimeProvider = hub.Clock;
            o.Events = new CookieAuthenticationEvents { OnValidatePrincipal = ConsoleAuth.ValidateAsync };
        });
        if (server?.Oidc is { CodeFlowEnabled: true } oidc)
        {
            ConsoleOidc.Add(authentication, oidc, hub);
            _policy = SecurityHeaders.PolicyFor(oidc.AuthorizationEndpoint);
        }
    }

    public void UsePipeline(IApplicationBuilder app)
    {
        app.UseWhen(c => ConsolePaths.IsConsole(c.Request.Path), console =>
        {
            console.Use(async (context, next) =>
            {
                SecurityHeaders.Apply(context, _policy);
                // Console pages know the cookie session only: a bearer token is for the API.
                var result = await context.AuthenticateAsync(ConsoleAuth.CookieScheme);
                context.User = result.Succeeded ? result.Principal : new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity());
                await next(context);
            });
            console.UseRequestLocalization();
        });
    }

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        app.MapRazorPages();
        app.MapGet("/assets/{name}", (string name, HttpContext http) => ConsoleAssets.Serve(name, http)).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/language/{language}", (string language, string? returnUrl, HttpContext http) =>
        {
            var culture = language == ConsoleText.English ? Cultures[1] : Cultures[0];
            http.Response.Cookies.Append(CookieRequestCultureProvider.DefaultCookieName,
                CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(culture)),
                new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true, MaxAge = TimeSpan.FromDays(365) });
            return Results.LocalRedirect(ConsolePaths.SafeReturn(returnUrl));
        }).AllowAnonymous().ExcludeFromDescription();
        // Any other console path: the console's own "not found" page, never the API's JSON.
        app.MapFallbackToPage("{*path:consolepath}", "/NotFound");
    }
}

/// <summary>Which paths are the console's: everything but the API, FHIR, public JSON, health and OpenAPI routes.</summary>
public static class ConsolePaths
{
    private static readonly string[] NotConsole = ["/api", "/fhir", "/public", "/health", "/openapi"];

    public static bool IsConsole(PathString path) =>
        !NotConsole.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>A return address inside the console only (no open redirect).</summary>
    public static string SafeReturn(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//") && !returnUrl.StartsWith("/\\") ? returnUrl : "/";
}

/// <summary>Route constraint for the console's fallback page.</summary>
public sealed class ConsolePathConstraint : IRouteConstraint
{
    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
        httpContext is null || ConsolePaths.IsConsole(httpContext.Request.Path);
}

/// <summary>Headers of every console response: no inline script or style, no framing, no sniffing, no referrer leaks.</summary>
public static class SecurityHeaders
{
    public static string PolicyFor(string? authorizationEndpoint)
    {
        var provider = Uri.TryCreate(authorizationEndpoint, UriKind.Absolute, out var uri) ? " " + uri.GetLeftPart(UriPartial.Authority) : "";
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
               $"form-action 'self'{provider}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
    }

    public static void Apply(HttpContext context, string policy) => context.Response.OnStarting(() =>
    {
        var h = context.Response.Headers;
        h.ContentSecurityPolicy = policy;
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "same-origin";
        h["Cross-Origin-Opener-Policy"] = "same-origin";
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
        if (!context.Request.Path.StartsWithSegments("/assets")) h.CacheControl = "no-store";
        return Task.CompletedTask;
    });
}
