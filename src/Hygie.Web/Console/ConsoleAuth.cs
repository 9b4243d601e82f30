using System.Security.Claims;
using Hygie.Core.Audit;
using Hygie.Governance;
using Hygie.Server.Auth;
using Hygie.Server.Endpoints;
using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Web.Console;

/// <summary>
/// The console's sign-in: a hub token typed once (or an OpenID Connect sign-in) becomes an encrypted, HttpOnly,
/// SameSite=Strict cookie holding the same claims the bearer handler gives. The cookie never holds the token: it names
/// the token's id, and every request checks that this token is still live, so a revocation signs the session out.
/// </summary>
public static class ConsoleAuth
{
    public const string CookieScheme = "HygieConsole";
    public const string OidcScheme = "HygieConsoleOidc";
    public const string CookieName = "hygie.console";
    public const string SignInMethod = "hygie.signin";

    /// <summary>A console session lasts at most this long, and never beyond its token's expiry.</summary>
    public static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(12);

    /// <summary>Signs the holder of <paramref name="presented"/> in; null (and an audited refusal) when the token is not live.</summary>
    public static async Task<ClaimsPrincipal?> SignInWithTokenAsync(HttpContext http, Hub hub, string? presented)
    {
        var token = string.IsNullOrWhiteSpace(presented) ? null : await hub.Tokens.ValidateAsync(presented.Trim(), http.RequestAborted);
        if (token is null)
        {
            await hub.Audit.AppendAsync(new AuditEntry("anonymous", "auth.failed", $"{http.Request.Method} {http.Request.Path}", AuditOutcome.Refused,
                "invalid, expired or revoked token"), CancellationToken.None);
            return null;
        }
        // A tenant token is a care application's, scoped to FHIR: not a console session.
        if (token.Tenant is not null || token.Roles.Count == 0)
        {
            await hub.Audit.AppendAsync(new AuditEntry(token.Subject, "auth.failed", $"{http.Request.Method} {http.Request.Path}", AuditOutcome.Refused,
                "a tenant token opens no console session"), CancellationToken.None);
            return null;
        }
        var claims = new List<Claim> { new(HygieClaims.Subject, token.Subject), new(HygieClaims.TokenId, token.Id), new(SignInMethod, "token") };
        claims.AddRange(token.Roles.Select(r => new Claim(HygieClaims.Role, r)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, CookieScheme, HygieClaims.Subject, HygieClaims.Role));
        var now = hub.Clock.GetUtcNow();
        var expires = token.Expires is { } e && e < now + SessionLifetime ? e : now + SessionLifetime;
        await http.SignInAsync(CookieScheme, principal, new AuthenticationProperties { IsPersistent = false, ExpiresUtc = expires, AllowRefresh = false });
        await AuditSignInAsync(hub, token.Subject, "token", token.Id);
        return principal;
    }

    public static Task AuditSignInAsync(Hub hub, string subject, string method, string tokenId) =>
        hub.Audit.AppendAsync(new AuditEntry(subject, "console.signin", "console", AuditOutcome.Success, null,
            new Dictionary<string, string> { ["method"] = method, ["token"] = tokenId }), CancellationToken.None);

    /// <summary>Each request: a hub-token session stays only while its token is live (not revoked, not expired).</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        var tokenId = principal?.FindFirst(HygieClaims.TokenId)?.Value;
        if (principal?.FindFirst(SignInMethod)?.Value != "token" || tokenId is null) return;
        var hub = context.HttpContext.RequestServices.GetRequiredService<Hub>();
        Storage.Identity.AccessToken? token;
        try { token = await hub.Tokens.GetAsync(tokenId, context.HttpContext.RequestAborted); }
        catch (Core.Errors.NotFoundException) { token = null; }
        var now = hub.Clock.GetUtcNow();
        if (token is null || token.Revoked is not null || token.Expires is { } e && e <= now)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme);
            await hub.Audit.AppendAsync(new AuditEntry(principal.SubjectOf(), "auth.failed", $"{context.Request.Method} {context.Request.Path}",
                AuditOutcome.Refused, "the console session's token was revoked or expired"), CancellationToken.None);
        }
    }

    public static Actor ActorOf(ClaimsPrincipal user) => GovernanceEndpoints.ActorOf(user);

    public static IReadOnlyList<string> RolesOf(ClaimsPrincipal user) => user.FindAll(HygieClaims.Role).Select(c => c.Value).ToList();

    public static bool IsSignedIn(ClaimsPrincipal user) => user.Identity?.IsAuthenticated == true;
}
