using System.Security.Claims;
using Hygie.Core.Audit;
using Hygie.Server.Auth;
using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Hygie.Web.Console;

/// <summary>
/// "Sign in with the provider": the authorization code flow with PKCE against the hub's configured OpenID Connect
/// provider. The hub never downloads the provider's metadata: its endpoints and signing keys (the same JWKS the API
/// trusts) are configuration. The ID token's subject and known hub roles become the console cookie's claims.
/// </summary>
public static class ConsoleOidc
{
    public const string CallbackPath = "/signin-oidc";

    public static void Add(AuthenticationBuilder builder, OidcOptions oidc, Hub hub)
    {
        var keys = oidc.LoadSigningKeys();
        builder.AddOpenIdConnect(ConsoleAuth.OidcScheme, o =>
        {
            o.SignInScheme = ConsoleAuth.CookieScheme;
            o.ClientId = oidc.ClientId;
            o.ClientSecret = string.IsNullOrEmpty(oidc.ClientSecret) ? null : oidc.ClientSecret;
            o.ResponseType = OpenIdConnectResponseType.Code;
            // A top-level GET back to the hub: the SameSite=Lax correlation and nonce cookies come with it.
            o.ResponseMode = OpenIdConnectResponseMode.Query;
            o.UsePkce = true;
            o.Scope.Clear();
            foreach (var scope in oidc.Scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)) o.Scope.Add(scope);
            o.CallbackPath = CallbackPath;
            o.RequireHttpsMetadata = false;
            o.GetClaimsFromUserInfoEndpoint = false;
            o.SaveTokens = false;
            o.MapInboundClaims = false;
            o.TimeProvider = hub.Clock;
            o.CorrelationCookie.SameSite = SameSiteMode.Lax;
            o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.NonceCookie.SameSite = SameSiteMode.Lax;
            o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            var configuration = new OpenIdConnectConfiguration
            {
                Issuer = oidc.Issuer,
                AuthorizationEndpoint = oidc.AuthorizationEndpoint,
                TokenEndpoint = oidc.TokenEndpoint,
            };
            foreach (var key in keys) configuration.SigningKeys.Add(key);
            o.Configuration = configuration;
            o.TokenValidationParameters = HygieAuthentication.ValidationParameters(oidc, keys, oidc.ClientId, hub.Clock);
            o.Events = new OpenIdConnectEvents
            {
                OnTokenValidated = async ctx =>
                {
                    var idToken = ctx.TokenEndpointResponse?.IdToken ?? ctx.ProtocolMessage?.IdToken;
                    var principal = idToken is null ? null : HygieAuthentication.PrincipalOf(new JsonWebToken(idToken), oidc, ConsoleAuth.CookieScheme);
                    if (principal is null || !principal.HasClaim(c => c.Type == HygieClaims.Role))
                    {
                        await hub.Audit.AppendAsync(new AuditEntry(principal?.SubjectOf() ?? "anonymous", "auth.failed", $"GET {CallbackPath}",
                            AuditOutcome.Refused, "the provider's ID token names no subject or no hub role"), CancellationToken.None);
                        ctx.Fail("the provider's ID token names no subject or no hub role");
                        return;
                    }
                    ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(ConsoleAuth.SignInMethod, "oidc"));
                    var now = hub.Clock.GetUtcNow();
                    var expires = new JsonWebToken(idToken!).ValidTo is var to && to > DateTime.MinValue && to < (now + ConsoleAuth.SessionLifetime).UtcDateTime
                        ? new DateTimeOffset(to, TimeSpan.Zero) : now + ConsoleAuth.SessionLifetime;
                    ctx.Principal = principal;
                    ctx.Properties!.IsPersistent = false;
                    ctx.Properties.ExpiresUtc = expires;
                    ctx.Properties.AllowRefresh = false;
                    await ConsoleAuth.AuditSignInAsync(hub, principal.SubjectOf(), "oidc", principal.FindFirst(HygieClaims.TokenId)?.Value ?? "oidc");
                },
                OnRemoteFailure = async ctx =>
                {
                    await hub.Audit.AppendAsync(new AuditEntry("anonymous", "auth.failed", $"GET {CallbackPath}", AuditOutcome.Refused,
                        "OpenID Connect sign-in failed", new Dictionary<string, string> { ["kind"] = ctx.Failure?.GetType().Name ?? "unknown" }),
                        CancellationToken.None);
                    ctx.Response.Redirect("/signin?failed=oidc");
                    ctx.HandleResponse();
                },
            };
        });
    }
}
