using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hygie.Core.Identity;
using Hygie.Governance;
using Hygie.Governance.Users;
using Hygie.Server;
using Hygie.Server.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hygie.Fhir.Tests;

/// <summary>
/// Who reaches a tenant's FHIR API: hub tenant tokens and OpenID Connect tokens that name the tenant and carry SMART
/// scopes — exactly their scopes, on their tenant only, and nothing of the hub's own API.
/// </summary>
public sealed class TenantTokenTests : IAsyncLifetime
{
    private const string Issuer = "https://idp.clinic-a.example/realms/care";
    private const string Audience = "hygie-fhir";
    private readonly RSA _providerKey = RSA.Create(2048);
    private readonly RSA _otherKey = RSA.Create(2048);
    private FhirServer _server = null!;
    private string _a = null!, _b = null!;

    public async Task InitializeAsync()
    {
        var p = _providerKey.ExportParameters(false);
        var jwks = JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = "care-1", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) } } });
        _server = await FhirServer.StartAsync(server: new ServerOptions
        {
            Oidc = new OidcOptions { Issuer = Issuer, Audience = Audience, TenantClaim = "hygie_tenant", Jwks = jwks },
        });
        _a = await _server.TenantAsync();
        _b = await _server.TenantAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _providerKey.Dispose();
        _otherKey.Dispose();
    }

    private static string Jwt(Dictionary<string, object> claims, RSA key)
    {
        var now = DateTime.UtcNow;
        claims["sub"] = "nurse-4711";
        claims["jti"] = Guid.NewGuid().ToString();
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now.AddMinutes(-1),
            Expires = now.AddMinutes(10),
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = "care-1" }, SecurityAlgorithms.RsaSha256),
        });
    }

    private string OidcToken(string? tenant, string? scope, string[]? roles = null, RSA? key = null)
    {
        var claims = new Dictionary<string, object>();
        if (tenant is not null) claims["hygie_tenant"] = tenant;
        if (scope is not null) claims["scope"] = scope;
        if (roles is not null) claims["roles"] = roles;
        return Jwt(claims, key ?? _providerKey);
    }

    private static Observation HeartRate(string patient) => new()
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept("http://loinc.org", "8867-4"),
        Subject = new ResourceReference($"Patient/{patient}"),
        Value = new Quantity(72, "/min"),
    };

    [Fact]
    public async Task An_oidc_token_naming_the_tenant_uses_exactly_its_scopes()
    {
        using var full = _server.Client(_a, await _server.TokenAsync(_a));
        var patient = await full.CreateAsync(new Patient { Active = true });

        using var nurse = _server.Client(_a, OidcToken(_a, "openid profile patient/Observation.write user/Patient.read"));
        Assert.NotNull((await nurse.CreateAsync(HeartRate(patient!.Id)))!.Id);
        Assert.NotNull(await nurse.ReadAsync<Patient>($"Patient/{patient.Id}"));
        var write = await Assert.ThrowsAsync<FhirOperationException>(() => nurse.CreateAsync(new Patient()));
        Assert.Equal(HttpStatusCode.Forbidden, write.Status);
        Assert.Contains("user/Patient.write", write.Outcome!.Issue[0].Diagnostics);
        Assert.Equal(HttpStatusCode.Forbidden, (await Assert.ThrowsAsync<FhirOperationException>(() => nurse.SearchAsync<Observation>([]))).Status);

        // The provider's subject is the actor of the audit trail, with the token's id.
        var create = (await _server.Server.Hub.Hub.Audit.QueryAsync(new Hygie.Storage.Audit.AuditQuery(ActionPrefix: "fhir.create", Actor: "nurse-4711"))).Single();
        Assert.StartsWith("oidc:", create.Entry.Details!["token"]);
    }

    [Fact]
    public async Task An_oidc_token_of_another_tenant_or_without_scopes_is_refused_403()
    {
        using var other = _server.Client(_a, OidcToken(_b, "user/*.*"));
        var e = await Assert.ThrowsAsync<FhirOperationException>(() => other.SearchAsync<Patient>([]));
        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        Assert.Contains("another tenant", e.Outcome!.Issue[0].Diagnostics);

        using var noScope = _server.Client(_a, OidcToken(_a, "openid profile"));
        e = await Assert.ThrowsAsync<FhirOperationException>(() => noScope.SearchAsync<Patient>([]));
        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        Assert.Contains("no SMART scope", e.Outcome!.Issue[0].Diagnostics);

        using var noTenant = _server.Client(_a, OidcToken(null, "user/*.*", ["operator"]));
        e = await Assert.ThrowsAsync<FhirOperationException>(() => noTenant.SearchAsync<Patient>([]));
        Assert.Equal(HttpStatusCode.Forbidden, e.Status);
        Assert.Contains("not a tenant token", e.Outcome!.Issue[0].Diagnostics);

        // Signed by another key: not authenticated at all.
        using var forged = _server.Client(_a, OidcToken(_a, "user/*.*", key: _otherKey));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Assert.ThrowsAsync<FhirOperationException>(() => forged.SearchAsync<Patient>([]))).Status);
    }

    [Fact]
    public async Task A_tenant_token_gets_no_hub_role_whatever_it_claims()
    {
        // An OIDC token naming a tenant is a FHIR token, even if its role claim says operator.
        using var oidc = _server.Http(OidcToken(_a, "user/*.*", ["operator"]));
        Assert.Equal(HttpStatusCode.OK, (await oidc.GetAsync($"/fhir/{_a}/Patient")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await oidc.GetAsync("/api/fhir/tenants")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await oidc.GetAsync("/api/status")).StatusCode);

        // A hub token recorded with a tenant and roles (as an older hub could issue) is a FHIR token only.
        var mixed = (await _server.Server.Hub.Hub.Tokens.IssueAsync("legacy", [Roles.Operator], DateTimeOffset.UtcNow.AddDays(1), _a, ["user/*.*"])).Secret;
        using var legacy = _server.Http(mixed);
        Assert.Equal(HttpStatusCode.OK, (await legacy.GetAsync($"/fhir/{_a}/Patient")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await legacy.GetAsync("/api/tokens")).StatusCode);

        // The operator's own token stays out of tenants' data.
        using var op = _server.Http(_server.Server.Hub.OperatorToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await op.GetAsync($"/fhir/{_a}/Patient")).StatusCode);
    }

    [Fact]
    public async Task A_user_can_hold_a_tenant_token_and_a_revoked_one_is_refused_at_once()
    {
        var desk = _server.Server.App.Services.GetRequiredService<TokenDesk>();
        var users = _server.Server.App.Services.GetRequiredService<UserDirectory>();
        var op = new Actor("operator", [Roles.Operator]);
        await users.AddAsync(op, new NewUser("dr-martin", "Dr Martin", "CHU", [Roles.Researcher]), null);
        var issued = await desk.IssueAsync(op, new TokenRequest("dr-martin", Tenant: _a, Scopes: ["user/*.read"]));
        Assert.Equal("dr-martin", issued.Token.Subject);
        Assert.Empty(issued.Token.Roles);

        using var http = _server.Http(issued.Secret);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/fhir/{_a}/Patient")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/api/projects")).StatusCode);
        await desk.RevokeAsync(op, issued.Token.Id, "left the ward");
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync($"/fhir/{_a}/Patient")).StatusCode);
    }
}
