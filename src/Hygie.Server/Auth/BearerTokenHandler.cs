using System.Security.Claims;
using System.Text.Encodings.Web;
using Hygie.Core.Audit;
using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hygie.Server.Auth;

/// <summary>Authenticates <c>Authorization: Bearer hyg_…</c> tokens against the token store. Failures say nothing more than 401.</summary>
public sealed class BearerTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, Hub hub)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "HygieToken";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return await FailAsync("unsupported authorization scheme");
        var token = await hub.Tokens.ValidateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (token is null) return await FailAsync("invalid, expired or revoked token");

        var claims = new List<Claim>
        {
            new(HygieClaims.Subject, token.Subject),
            new(HygieClaims.TokenId, token.Id),
        };
        if (token.Tenant is null) claims.AddRange(token.Roles.Select(r => new Claim(HygieClaims.Role, r)));
        else
        {
            // A tenant token reaches its tenant's FHIR API only: whatever roles an older token recorded, none apply.
            claims.Add(new Claim(HygieClaims.Tenant, token.Tenant));
            claims.AddRange(token.Scopes.Select(s => new Claim(HygieClaims.Scope, s)));
        }
        var identity = new ClaimsIdentity(claims, SchemeName, HygieClaims.Subject, HygieClaims.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    private async Task<AuthenticateResult> FailAsync(string reason)
    {
        await hub.Audit.AppendAsync(new AuditEntry("anonymous", "auth.failed", $"{Request.Method} {Request.Path}", AuditOutcome.Refused, reason));
        return AuthenticateResult.Fail(reason);
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        return ProblemResponses.WriteAsync(Context, StatusCodes.Status401Unauthorized, "unauthorized", "Authentication required",
            "a valid bearer token is required");
    }

    /// <summary>Names the roles the endpoint asks for, never the data behind it.</summary>
    private string RoleRule()
    {
        var roles = Context.GetEndpoint()?.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>()
            .Select(a => a.Roles).Where(r => !string.IsNullOrEmpty(r)).ToList();
        return roles is { Count: > 0 } ? $"this action needs the role {string.Join(" or ", roles!.SelectMany(r => r!.Split(',')))}" : "your roles do not allow this action";
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var rule = Context.Items[HygieClaims.DenialReasonItem] as string ?? RoleRule();
        await hub.Audit.AppendAsync(new AuditEntry(Context.User.SubjectOf(), "access.denied", $"{Request.Method} {Request.Path}", AuditOutcome.Refused, rule));
        await ProblemResponses.WriteAsync(Context, StatusCodes.Status403Forbidden, "forbidden", "Forbidden", rule);
    }
}

public static class HygieClaims
{
    public const string Subject = "sub";
    public const string Role = "role";
    public const string Scope = "scope";
    public const string Tenant = "tenant";
    public const string TokenId = "token_id";
    public const string DenialReasonItem = "hygie.denial-reason";

    public static string SubjectOf(this ClaimsPrincipal user) => user.FindFirst(Subject)?.Value ?? "anonymous";

    public static bool HasRole(this ClaimsPrincipal user, string role) => user.HasClaim(Role, role);
}
