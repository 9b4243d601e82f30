using System.Security.Claims;
using System.Text.Json;
using Hygie.Core.Audit;
using Hygie.Core.Identity;
using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Hygie.Server.Auth;

/// <summary>
/// The hub's authentication: a policy scheme that sends <c>Bearer hyg_…</c> tokens to <see cref="BearerTokenHandler"/>
/// and JWTs (three dot-separated parts) to the OIDC provider's JWT bearer scheme when one is configured. Challenges and
/// refusals always go through <see cref="BearerTokenHandler"/>: a bad token of either kind gets the same 401 without
/// detail, and a refusal the same 403 naming the rule.
/// </summary>
public static class HygieAuthentication
{
    public const string PolicyScheme = "Hygie";
    public const string OidcScheme = "Oidc";

    public static void AddHygieAuthentication(this IServiceCollection services, Hub hub, OidcOptions? oidc)
    {
        var useOidc = oidc is { Enabled: true };
        var keys = useOidc ? oidc!.LoadSigningKeys() : [];
        var builder = services.AddAuthentication(PolicyScheme)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null)
            .AddPolicyScheme(PolicyScheme, null, o =>
            {
                o.ForwardDefaultSelector = ctx => useOidc && LooksLikeJwt(ctx.Request) ? OidcScheme : BearerTokenHandler.SchemeName;
                o.ForwardChallenge = BearerTokenHandler.SchemeName;
                o.ForwardForbid = BearerTokenHandler.SchemeName;
            });
        if (useOidc) builder.AddJwtBearer(OidcScheme, o => Configure(o, oidc!, keys, hub));
    }

    private static bool LooksLikeJwt(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var token = header.AsSpan("Bearer ".Length).Trim();
        return !token.StartsWith("hyg_") && token.Count('.') == 2;
    }

    public static readonly string[] AsymmetricAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>
    /// How a token of the provider is checked, for the API's bearer JWTs and the console's ID tokens alike: its issuer,
    /// <paramref name="audience"/>, an asymmetric signature by one of <paramref name="keys"/>, and a lifetime judged by
    /// the hub's clock (tests move it), not the machine's.
    /// </summary>
    public static TokenValidationParameters ValidationParameters(OidcOptions oidc, IReadOnlyList<SecurityKey> keys, string? audience, TimeProvider clock)
    {
        var skew = TimeSpan.FromSeconds(oidc.ClockSkewSeconds);
        return new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = oidc.Issuer,
            ValidateAudience = true,
            ValidAudience = audience,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = keys,
            RequireSignedTokens = true,
            ValidAlgorithms = AsymmetricAlgorithms,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = clock.GetUtcNow().UtcDateTime;
                return expires is { } e && e.ToUniversalTime() > now - skew && (notBefore is not { } n || n.ToUniversalTime() <= now + skew);
            },
            NameClaimType = HygieClaims.Subject,
            RoleClaimType = HygieClaims.Role,
        };
    }

    private static void Configure(JwtBearerOptions o, OidcOptions oidc, IReadOnlyList<SecurityKey> keys, Hub hub)
    {
        o.MapInboundClaims = false;
        o.RequireHttpsMetadata = false;
        o.SaveToken = false;
        o.IncludeErrorDetails = false;
        o.TimeProvider = hub.Clock;
        // No network to the provider: a static configuration, never a metadata download.
        var configuration = new OpenIdConnectConfiguration { Issuer = oidc.Issuer };
        foreach (var key in keys) configuration.SigningKeys.Add(key);
        o.Configuration = configuration;
        o.TokenValidationParameters = ValidationParameters(oidc, keys, oidc.Audience, hub.Clock);
        o.Events = new JwtBearerEvents
        {
            OnTokenValidated = ctx =>
            {
                var principal = ctx.SecurityToken is JsonWebToken jwt ? PrincipalOf(jwt, oidc) : null;
                if (principal is null) ctx.Fail("the token names no subject");
                else ctx.Principal = principal;
                return Task.CompletedTask;
            },
            OnAuthenticationFailed = async ctx =>
            {
                // The reason kind only (expired, bad signature, wrong issuer…): never the token, never the exception's text.
                await hub.Audit.AppendAsync(new AuditEntry("anonymous", "auth.failed", $"{ctx.Request.Method} {ctx.Request.Path}",
                    AuditOutcome.Refused, "invalid OIDC token", new Dictionary<string, string> { ["kind"] = ctx.Exception.GetType().Name }));
            },
        };
    }

    /// <summary>
    /// The hub's view of a validated provider token: its subject, its id, and either the known hub roles it carries or
    /// — when it names a FHIR tenant — that tenant and its SMART scopes (standard <c>scope</c> claim, space-separated;
    /// <c>scp</c> as a list is read too) and no hub role: a tenant token reaches that tenant's FHIR API only.
    /// </summary>
    private static ClaimsPrincipal? PrincipalOf(JsonWebToken jwt, OidcOptions oidc)
    {
        using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload));
        var root = payload.RootElement;
        var subject = Find(root, oidc.SubjectClaim) is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;
        if (string.IsNullOrWhiteSpace(subject)) return null;
        var claims = new List<Claim>
        {
            new(HygieClaims.Subject, subject),
            new(HygieClaims.TokenId, $"oidc:{(string.IsNullOrEmpty(jwt.Id) ? "-" : jwt.Id)}"),
        };
        if (Find(root, oidc.TenantClaim) is { ValueKind: JsonValueKind.String } tenant && !string.IsNullOrWhiteSpace(tenant.GetString()))
        {
            claims.Add(new Claim(HygieClaims.Tenant, tenant.GetString()!));
            var scopes = Words(Find(root, "scope") ?? Find(root, "scp"));
            claims.AddRange(scopes.Distinct(StringComparer.Ordinal).Select(scope => new Claim(HygieClaims.Scope, scope)));
        }
        else
        {
            claims.AddRange(Words(Find(root, oidc.RoleClaim)).Where(Roles.IsKnown).Distinct().Select(r => new Claim(HygieClaims.Role, r)));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, OidcScheme, HygieClaims.Subject, HygieClaims.Role));
    }

    /// <summary>A claim's values: a JSON array of strings, or one string of words separated by spaces or commas.</summary>
    private static IEnumerable<string> Words(JsonElement? claim) => claim switch
    {
        { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Where(r => r.ValueKind == JsonValueKind.String).Select(r => r.GetString()!).ToList(),
        { ValueKind: JsonValueKind.String } text => text.GetString()!.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries),
        _ => [],
    };

    private static JsonElement? Find(JsonElement root, string path)
    {
        if (root.TryGetProperty(path, out var direct)) return direct;
        var current = root;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current)) return null;
        }
        return current;
    }

    /// <summary>The same view of a provider's validated ID token, for a session of <paramref name="scheme"/> (the web console's sign-in).</summary>
    public static ClaimsPrincipal? PrincipalOf(JsonWebToken jwt, OidcOptions oidc, string scheme) =>
        PrincipalOf(jwt, oidc) is { } principal
            ? new ClaimsPrincipal(new ClaimsIdentity(principal.Claims, scheme, HygieClaims.Subject, HygieClaims.Role))
            : null;
}
