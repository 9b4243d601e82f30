using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Hygie.Server;
using Hygie.Server.Auth;
using Hygie.Storage.Audit;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using static Hygie.Governance.Tests.GovernanceHarness;

namespace Hygie.Governance.Tests;

public sealed class AuthenticationTests : IAsyncLifetime
{
    private const string Issuer = "https://auth.esante.gouv.fr/auth/realms/esante-wallet";
    private const string Audience = "hygie-hub";
    private readonly RSA _providerKey = RSA.Create(2048);
    private readonly RSA _otherKey = RSA.Create(2048);
    private GovernanceHarness _h = null!;

    public async Task InitializeAsync() => _h = await GovernanceHarness.StartAsync(new ServerOptions
    {
        Oidc = new OidcOptions { Issuer = Issuer, Audience = Audience, RoleClaim = "realm_access.roles", SubjectClaim = "preferred_username", Jwks = Jwks(_providerKey, "psc-1") },
    });

    public async Task DisposeAsync()
    {
        await _h.DisposeAsync();
        _providerKey.Dispose();
        _otherKey.Dispose();
    }

    private static string Jwks(RSA rsa, string kid)
    {
        var p = rsa.ExportParameters(false);
        return JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid, n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) } } });
    }

    private string Jwt(string subject = "alice", string[]? roles = null, string issuer = Issuer, string audience = Audience, RSA? key = null,
        DateTimeOffset? expires = null, string kid = "psc-1")
    {
        var now = _h.Clock.GetUtcNow();
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime.AddMinutes(-1),
            Expires = (expires ?? now.AddMinutes(10)).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                ["sub"] = "f:550-1234:8000123456",
                ["preferred_username"] = subject,
                ["realm_access"] = new Dictionary<string, object> { ["roles"] = roles ?? ["researcher", "offline_access"] },
                ["jti"] = Guid.NewGuid().ToString(),
            },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key ?? _providerKey) { KeyId = kid }, SecurityAlgorithms.RsaSha256),
        });
    }

    private static async Task Assert401WithoutDetailAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"expected 401, got {(int)response.StatusCode}: {body}");
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal("urn:hygie:problem:unauthorized", problem.GetProperty("type").GetString());
        Assert.Equal("a valid bearer token is required", problem.GetProperty("detail").GetString());
        foreach (var leak in new[] { "expired", "revoked", "issuer", "signature", "audience", "lifetime", "IDX" })
            Assert.DoesNotContain(leak, body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task An_expired_hub_token_gets_401_without_detail()
    {
        string secret;
        using (var op = _h.Server.Operator())
            secret = (await (await op.PostAsJsonAsync("/api/tokens", new { user = "alice", expiresIn = "1d" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        using var client = _h.Server.Client(secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/projects")).StatusCode);
        _h.Clock.Advance(TimeSpan.FromDays(1));
        await Assert401WithoutDetailAsync(await client.GetAsync("/api/projects"));
    }

    [Fact]
    public async Task A_revoked_hub_token_gets_401_at_once_and_the_revocation_is_audited_with_its_reason()
    {
        using var op = _h.Server.Operator();
        var issued = await (await op.PostAsJsonAsync("/api/tokens", new { user = "bob", expiresIn = "30d" })).Content.ReadFromJsonAsync<JsonElement>();
        var id = issued.GetProperty("token").GetProperty("id").GetString();
        using var client = _h.Server.Client(issued.GetProperty("secret").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/projects")).StatusCode);
        await ExpectAsync(HttpStatusCode.OK, await op.PostAsJsonAsync($"/api/tokens/{id}/revoke", new { reason = "laptop stolen" }));
        await Assert401WithoutDetailAsync(await client.GetAsync("/api/projects"));
        var e = Assert.Single(await _h.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "token.revoke")));
        Assert.Equal("laptop stolen", e.Entry.Reason);
        Assert.Equal("operator", e.Actor);
    }

    [Theory]
    [InlineData("hyg_abc")]
    [InlineData("hyg_000000000000_forged")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")]
    [InlineData("not.a.jwt")]
    [InlineData("garbage")]
    public async Task A_malformed_token_gets_401_without_detail(string token)
    {
        using var client = _h.Server.Client(token);
        await Assert401WithoutDetailAsync(await client.GetAsync("/api/projects"));
    }

    [Fact]
    public async Task A_provider_token_is_accepted_beside_hub_tokens_with_the_roles_it_carries()
    {
        var id = await _h.ApprovedProjectAsync();
        using var client = _h.Server.Client(Jwt("alice"));
        var projects = await client.GetFromJsonAsync<JsonElement>("/api/projects");
        Assert.Equal(id, Assert.Single(projects.EnumerateArray()).GetProperty("id").GetString());
        var check = await client.PostAsJsonAsync($"/api/projects/{id}/access-check", new { dataset = "dcir", table = "ER_PRS_F", columns = new[] { "PRS_PAI_MNT" } });
        await ExpectAsync(HttpStatusCode.OK, check);

        // Its roles are the provider's: a researcher's token cannot review; an unknown role grants nothing.
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/reviews")).StatusCode);
        using var nobody = _h.Server.Client(Jwt("zoe", ["superuser"]));
        Assert.Equal(HttpStatusCode.Forbidden, (await nobody.GetAsync("/api/projects")).StatusCode);
        var request = Assert.Single(await _h.Hub.Audit.QueryAsync(new AuditQuery(Actor: "zoe", ActionPrefix: "http.request")));
        Assert.StartsWith("oidc:", request.Entry.Details!["token"]);
    }

    [Fact]
    public async Task Provider_tokens_from_another_issuer_signer_or_audience_or_expired_get_401_without_detail()
    {
        foreach (var token in new[]
                 {
                     Jwt(issuer: "https://evil.example/realms/x"),
                     Jwt(key: _otherKey),
                     Jwt(key: _otherKey, kid: "other"),
                     Jwt(audience: "another-app"),
                     Jwt(expires: _h.Clock.GetUtcNow().AddMinutes(-5)),
                 })
        {
            using var client = _h.Server.Client(token);
            await Assert401WithoutDetailAsync(await client.GetAsync("/api/projects"));
        }
        var valid = Jwt();
        using (var client = _h.Server.Client(valid)) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/projects")).StatusCode);
        _h.Clock.Advance(TimeSpan.FromMinutes(11));
        using (var client = _h.Server.Client(valid)) await Assert401WithoutDetailAsync(await client.GetAsync("/api/projects"));

        var failures = await _h.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "auth.failed"));
        Assert.True(failures.Count >= 6);
        Assert.All(failures, f => Assert.DoesNotContain("eyJ", f.Entry.Reason + string.Join("", f.Entry.Details?.Values ?? [])));
    }

    [Fact]
    public void A_provider_without_keys_or_audience_is_refused_at_start_with_what_to_fix()
    {
        var noKeys = Assert.Throws<Core.Errors.HubStateException>(() => new OidcOptions { Issuer = Issuer, Audience = Audience, JwksPath = "/nonexistent/jwks.json" }.LoadSigningKeys());
        Assert.Contains("Oidc:JwksPath", noKeys.Message);
        var noAudience = Assert.Throws<Core.Errors.HubStateException>(() => new OidcOptions { Issuer = Issuer, Jwks = Jwks(_otherKey, "k") }.LoadSigningKeys());
        Assert.Contains("audience", noAudience.Message);
    }
}
