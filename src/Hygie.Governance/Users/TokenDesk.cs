using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Storage.Identity;

namespace Hygie.Governance.Users;

/// <summary>
/// API tokens for accounts: issued by the operator with the user's roles (or fewer), always expiring, shown once and
/// stored hashed by the token store.
/// </summary>
public sealed class TokenDesk(Storage.Hub.Hub hub, UserDirectory users)
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(90);
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(366);

    public async Task<IssuedToken> IssueAsync(Actor actor, TokenRequest request, CancellationToken ct = default)
    {
        var user = await users.FindAsync(request.User ?? "", ct)
                   ?? throw new ValidationFailedException($"user {request.User} does not exist: create it first with 'hygie users add'", "user");
        var roles = request.Roles is { Count: > 0 } ? request.Roles.Distinct(StringComparer.Ordinal).ToList() : user.Roles.ToList();
        foreach (var role in roles)
            if (!user.Roles.Contains(role, StringComparer.Ordinal))
                throw new ValidationFailedException($"user {user.Name} does not hold the role '{role}'", "roles");
        var lifetime = request.ExpiresIn is null ? DefaultLifetime : ParseLifetime(request.ExpiresIn);
        if (lifetime > MaxLifetime)
            throw new ValidationFailedException($"a token lives at most {MaxLifetime.TotalDays:0} days", "expiresIn");
        if (request.Scopes is { Count: > 0 } && string.IsNullOrWhiteSpace(request.Tenant))
            throw new ValidationFailedException("scopes are given for a tenant: pass the tenant too", "tenant");

        var expires = hub.Clock.GetUtcNow() + lifetime;
        var issued = await hub.Tokens.IssueAsync(user.Name, roles, expires, request.Tenant, request.Scopes, request.Description, ct);
        await hub.Audit.AppendAsync(new AuditEntry(actor.Name, "token.create", $"token/{issued.Token.Id}", Reason: request.Reason,
            Details: new Dictionary<string, string>
            {
                ["subject"] = user.Name, ["roles"] = string.Join(' ', roles), ["expires"] = Time.Format(expires),
                ["tenant"] = request.Tenant ?? "", ["scopes"] = string.Join(' ', request.Scopes ?? []),
            }), ct);
        return issued;
    }

    public async Task RevokeAsync(Actor actor, string id, string? reason, CancellationToken ct = default)
    {
        await hub.Tokens.RevokeAsync(id, ct);
        await hub.Audit.AppendAsync(new AuditEntry(actor.Name, "token.revoke", $"token/{id}", Reason: reason), ct);
    }

    public Task<IReadOnlyList<AccessToken>> ListAsync(string? user, CancellationToken ct = default) => hub.Tokens.ListAsync(user, ct);

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

public sealed record TokenRequest(
    string? User, string? ExpiresIn = null, string? Tenant = null, IReadOnlyList<string>? Scopes = null,
    IReadOnlyList<string>? Roles = null, string? Description = null, string? Reason = null);
