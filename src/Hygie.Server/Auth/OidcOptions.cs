using Hygie.Core.Errors;
using Microsoft.IdentityModel.Tokens;

namespace Hygie.Server.Auth;

/// <summary>
/// An OpenID Connect provider whose JWT access tokens the hub accepts beside its own tokens (Pro Santé Connect,
/// Keycloak…). The hub has no network to the provider: its signing keys are given as a JWKS document, in a file
/// (<see cref="JwksPath"/>) or inline (<see cref="Jwks"/>). Configured in appsettings.json under <c>Oidc</c> or by
/// <c>HYGIE__OIDC__ISSUER</c>, <c>HYGIE__OIDC__AUDIENCE</c>, <c>HYGIE__OIDC__ROLECLAIM</c>, <c>HYGIE__OIDC__TENANTCLAIM</c>, <c>HYGIE__OIDC__JWKSPATH</c>…
/// </summary>
public sealed record OidcOptions
{
    public string? Issuer { get; init; }
    public string? Audience { get; init; }

    /// <summary>The claim holding the hub roles: a name, or a dotted path into nested claims (<c>realm_access.roles</c>).</summary>
    public string RoleClaim { get; init; } = "roles";

    /// <summary>The claim naming the person as the hub knows them (<c>sub</c>, or <c>preferred_username</c>).</summary>
    public string SubjectClaim { get; init; } = "sub";

    /// <summary>
    /// The claim naming the FHIR tenant a token is bound to (a name or a dotted path). A token that names one is a FHIR
    /// token: it reaches that tenant's API with the SMART scopes of its <c>scope</c> claim, and carries no hub role.
    /// </summary>
    public string TenantClaim { get; init; } = "tenant";

    public string? JwksPath { get; init; }
    public string? Jwks { get; init; }

    /// <summary>Tolerance on <c>exp</c> and <c>nbf</c>.</summary>
    public int ClockSkewSeconds { get; init; } = 30;

    public bool Enabled => !string.IsNullOrWhiteSpace(Issuer);

    // ---- the web console's sign-in (authorization code flow with PKCE); the API needs none of these ----

    /// <summary>The provider's authorization endpoint, where the browser is sent to sign in.</summary>
    public string? AuthorizationEndpoint { get; init; }

    /// <summary>The provider's token endpoint, which the hub calls to exchange the code for an ID token.</summary>
    public string? TokenEndpoint { get; init; }

    /// <summary>The hub's client id at the provider; the ID token's audience.</summary>
    public string? ClientId { get; init; }

    /// <summary>The client secret (<c>HYGIE__OIDC__CLIENTSECRET</c>; never in a file under version control). None: a public client with PKCE.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>Scopes asked for, space-separated.</summary>
    public string Scope { get; init; } = "openid profile";

    /// <summary>The console may offer "sign in with the provider": a code flow needs the two endpoints and a client id.</summary>
    public bool CodeFlowEnabled => Enabled && !string.IsNullOrWhiteSpace(AuthorizationEndpoint) && !string.IsNullOrWhiteSpace(TokenEndpoint)
                                   && !string.IsNullOrWhiteSpace(ClientId);

    /// <summary>The provider's signing keys; a configuration that cannot work is refused with what to fix.</summary>
    public IReadOnlyList<SecurityKey> LoadSigningKeys()
    {
        if (string.IsNullOrWhiteSpace(Audience))
            throw new HubStateException("OIDC is configured without an audience: set Oidc:Audience (HYGIE__OIDC__AUDIENCE)", "oidc-config");
        string json;
        if (!string.IsNullOrWhiteSpace(Jwks)) json = Jwks;
        else if (!string.IsNullOrWhiteSpace(JwksPath))
        {
            if (!File.Exists(JwksPath))
                throw new HubStateException($"the OIDC key set {JwksPath} does not exist: export the provider's JWKS to that file or fix Oidc:JwksPath", "oidc-config");
            json = File.ReadAllText(JwksPath);
        }
        else throw new HubStateException("OIDC is configured without signing keys: set Oidc:JwksPath to the provider's JWKS file, or Oidc:Jwks inline", "oidc-config");
        try
        {
            var keys = new JsonWebKeySet(json).GetSigningKeys();
            if (keys.Count == 0) throw new HubStateException("the OIDC key set holds no signing key", "oidc-config");
            return keys.ToList();
        }
        catch (ArgumentException)
        {
            throw new HubStateException("the OIDC key set is not a JWKS document", "oidc-config");
        }
    }
}
