using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Hygie.EndToEnd;

/// <summary>
/// A minimal OpenID Connect provider for the tests: an authorization endpoint that signs in whoever the test named
/// (no login form), a token endpoint that checks the client secret and the PKCE verifier and answers an RS256 ID
/// token carrying the nonce, and the JWKS of its key.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public const string ClientId = "hygie-console";
    public const string ClientSecret = "test-client-secret";

    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, Grant> _codes = new();
    private WebApplication? _app;

    private sealed record Grant(string Subject, string[] Roles, string? Nonce, string? Challenge, string RedirectUri);

    /// <summary>Who the next sign-in is, and the roles the provider says they hold.</summary>
    public (string Subject, string[] Roles) NextUser { get; set; } = ("alice", ["researcher"]);

    public Uri Issuer { get; private set; } = null!;
    public int TokensIssued => _tokens;
    private int _tokens;

    public string Jwks
    {
        get
        {
            var p = _rsa.ExportParameters(false);
            return JsonSerializer.Serialize(new { keys = new[] { new { kty = "RSA", kid = "test-key", use = "sig", alg = "RS256", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) } } });
        }
    }

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapGet("/authorize", (HttpContext http) =>
        {
            var q = http.Request.Query;
            if (q["client_id"] != ClientId || q["response_type"] != "code") return Results.BadRequest("unknown client or response type");
            var code = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
            _codes[code] = new Grant(NextUser.Subject, NextUser.Roles, q["nonce"], q["code_challenge"], q["redirect_uri"]!);
            return Results.Redirect($"{q["redirect_uri"]}?code={Uri.EscapeDataString(code)}&state={Uri.EscapeDataString(q["state"]!)}");
        });
        _app.MapPost("/token", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret) return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            if (form["grant_type"] != "authorization_code" || !_codes.TryRemove(form["code"].ToString(), out var grant) || form["redirect_uri"] != grant.RedirectUri)
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            var verifier = form["code_verifier"].ToString();
            if (grant.Challenge is null || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.Challenge)
                return Results.Json(new { error = "invalid_grant", error_description = "PKCE" }, statusCode: 400);
            var accessToken = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(24));
            var now = DateTime.UtcNow;
            var claims = new Dictionary<string, object>
            {
                ["sub"] = grant.Subject, ["roles"] = grant.Roles, ["nonce"] = grant.Nonce ?? "",
                ["at_hash"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken))[..16]),
            };
            var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Issuer.ToString().TrimEnd('/'), Audience = ClientId, IssuedAt = now, NotBefore = now, Expires = now.AddMinutes(30), Claims = claims,
                SigningCredentials = new SigningCredentials(new RsaSecurityKey(_rsa) { KeyId = "test-key" }, SecurityAlgorithms.RsaSha256),
            });
            Interlocked.Increment(ref _tokens);
            return Results.Json(new Dictionary<string, object> { ["access_token"] = accessToken, ["token_type"] = "Bearer", ["expires_in"] = 1800, ["id_token"] = idToken });
        });
        await _app.StartAsync();
        Issuer = new Uri(_app.Urls.First());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        _rsa.Dispose();
    }
}
