using System.Text.RegularExpressions;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Core.Identity;
using Hygie.Storage.Identity;

namespace Hygie.Governance.Users;

/// <summary>
/// API tokens, always expiring, shown once and stored hashed by the token store. An account's token carries the
/// user's roles (or fewer); a tenant token carries SMART scopes on one FHIR tenant and no hub role at all, so it reaches
/// <c>/fhir/{tenant}/</c> only. A tenant token belongs to a user of the hub (<c>--user</c>) or to an application of
/// the tenant (<c>--app</c>, default <c>app</c>), whose subject is <c>{app}@{tenant}</c>: a name no account can have.
/// </summary>
public sealed partial class TokenDesk(Storage.Hub.Hub hub, UserDirectory users, ITenantDirectory? tenants = null)
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(90);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(366);
    public const string DefaultApp = "app";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex AppPattern();

    /// <summary>The subject of an application's tokens on a tenant.</summary>
    public static string AppSubject(string app, string tenant) => $"{app}@{tenant}";

    public async Task<IssuedToken> IssueAsync(Actor actor, TokenRequest request, CancellationToken ct = default)
    {
        var lifetime = request.ExpiresIn is null ? DefaultLifetime : ParseLifetime(request.ExpiresIn);
        if (lifetime > MaxLifetime)
            throw new ValidationFailedException($"a token lives at most {MaxLifetime.TotalDays:0} days", "expiresIn");
        var expires = hub.Clock.GetUtcNow() + lifetime;
        return string.IsNullOrWhiteSpace(request.Tenant)
            ? await IssueForAccountAsync(actor, request, expires, ct)
            : await IssueForTenantAsync(actor, request, request.Tenant, expires, ct);
    }

    private async Task<IssuedToken> IssueForAccountAsync(Actor actor, TokenRequest request, DateTimeOffset expires, CancellationToken ct)
    {
        if (request.Scopes is { Count: > 0 })
            throw new ValidationFailedException("scopes are given for a tenant: pass the tenant too", "tenant");
        if (request.App is not null)
            throw new ValidationFailedException("an application token belongs to a FHIR tenant: pass the tenant too", "tenant");
        if (string.IsNullOrWhiteSpace(request.User))
            throw new ValidationFailedException("name the account the token is for (--user), or the FHIR tenant it is bound to (--tenant)", "user");
        var user = await users.FindAsync(request.User, ct)
                   ?? throw new ValidationFailedException($"user {request.User} does not exist: create it first with 'hygie users add'", "user");
        var roles = request.Roles is { Count: > 0 } ? request.Roles.Distinct(StringComparer.Ordinal).ToList() : user.Roles.ToList();
        foreach (var role in roles)
            if (!user.Roles.Contains(role, StringComparer.Ordinal))
                throw new ValidationFailedException($"user {user.Name} does not hold the role '{role}'", "roles");

        var issued = await hub.Tokens.IssueAsync(user.Name, roles, expires, null, null, request.Description, ct);
        await AuditAsync(actor, request, issued, ct);
        return issued;
    }

    private async Task<IssuedToken> IssueForTenantAsync(Actor actor, TokenRequest request, string tenant, DateTimeOffset expires, CancellationToken ct)
    {
        if (request.Roles is { Count: > 0 })
            throw new ValidationFailedException("a tenant token carries SMART scopes only, never hub roles: leave the roles out", "roles");
        if (request.User is not null && request.App is not null)
            throw new ValidationFailedException("a tenant token is for a user or for an application of the tenant, not both", "app");
        if (tenants is null || !await tenants.ExistsAsync(tenant, ct))
            throw new NotFoundException($"tenant '{tenant}' does not exist (the operator creates it with 'hygie tenants add {tenant}')", "tenant-not-found");
        var scopes = (request.Scopes ?? []).Select(s => s.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (scopes.Count == 0)
            throw new ValidationFailedException("a tenant token needs at least one SMART scope, e.g. 'user/*.*', 'user/*.read' or 'patient/Observation.write'", "scopes");
        foreach (var scope in scopes)
            if (tenants.ScopeProblem(scope) is { } problem)
                throw new ValidationFailedException($"scope '{scope}' is refused: {problem}", "scopes");

        string subject;
        if (request.User is not null)
        {
            var user = await users.FindAsync(request.User, ct)
                       ?? throw new ValidationFailedException($"user {request.User} does not exist: create it first with 'hygie users add'", "user");
            subject = user.Name;
        }
        else
        {
            var app = request.App ?? DefaultApp;
            if (!AppPattern().IsMatch(app))
                throw new ValidationFailedException("an application name is 1 to 63 lower-case letters, digits or dashes, starting with a letter or digit", "app");
            subject = AppSubject(app, tenant);
        }
        var issued = await hub.Tokens.IssueAsync(subject, [], expires, tenant, scopes,
            request.Description ?? (request.User is null ? $"FHIR application of {tenant}" : $"FHIR access of {subject} to {tenant}"), ct);
        await AuditAsync(actor, request, issued, ct);
        return issued;
    }

    private Task AuditAsync(Actor actor, TokenRequest request, IssuedToken issued, CancellationToken ct)
    {
        var t = issued.Token;
        return hub.Audit.AppendAsync(new AuditEntry(actor.Name, "token.create", $"token/{t.Id}", Reason: request.Reason,
            Details: new Dictionary<string, string>
            {
                ["subject"] = t.Subject, ["roles"] = string.Join(' ', t.Roles), ["expires"] = Time.Format(t.Expires!.Value),
                ["tenant"] = t.Tenant ?? "", ["scopes"] = string.Join(' ', t.Scopes),
            }), ct);
    }

    public async Task RevokeAsync(Actor actor, string id, string? reason, CancellationToken ct = default)
    {
        await hub.Tokens.RevokeAsync(id, ct);
        await hub.Audit.AppendAsync(new AuditEntry(actor.Name, "token.revoke", $"token/{id}", Reason: reason), ct);
    }

    /// <summary>Tokens (never their secret), of one subject and / or one tenant.</summary>
    public async Task<IReadOnlyList<AccessToken>> ListAsync(string? user, string? tenant = null, CancellationToken ct = default)
    {
        var all = await hub.Tokens.ListAsync(user, ct);
        return tenant is null ? all : all.Where(t => t.Tenant == tenant).ToList();
    }

    /// <summary><c>30d</c>, <c>12h</c>, <c>4w</c>, <c>90m</c> (minutes).</summary>
    public static TimeSpan ParseLifetime(string text)
    {
        text = text.Trim();
        if (text.Length >= 2 && int.TryParse(text[..^1], out var n) && n > 0)
        {
            switch (char.ToLowerInvariant(text[^1]))
            {
                case 'd': return TimeSpan.FromDays(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'w': return TimeSpan.FromDays(7 * n);
                case 'm': return TimeSpan.FromMinutes(n);
            }
        }
        throw new ValidationFailedException($"'{text}' is not a lifetime: write e.g. 30d, 12h, 4w or 90m", "expiresIn");
    }
}

/// <param name="App">for a tenant token without <paramref name="User"/>: the tenant's application it stands for (default <c>app</c>).</param>
public sealed record TokenRequest(
    string? User, string? ExpiresIn = null, string? Tenant = null, IReadOnlyList<string>? Scopes = null,
    IReadOnlyList<string>? Roles = null, string? Description = null, string? Reason = null, string? App = null);
