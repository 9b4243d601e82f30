using Hygie.Governance.Permits;
using Hygie.Governance.Projects;
using Hygie.Governance.Users;

namespace Hygie.Governance.Access;

/// <summary>
/// Who can access what today and why: every member of every permit in force with the tables, columns and period it
/// grants and the legal basis and approval it rests on, plus every holder of a role with their live tokens. The
/// yearly access review the HDS rules ask for.
/// </summary>
public sealed class AccessReview(Storage.Hub.Hub hub, ProjectRegistry projects, UserDirectory users)
{
    public async Task<AccessReviewReport> BuildAsync(CancellationToken ct = default)
    {
        var now = hub.Clock.GetUtcNow();
        var all = await projects.ListAsync(null, ct);
        var people = (await users.ListAsync(ct)).ToDictionary(u => u.Name, StringComparer.Ordinal);
        var data = new List<DataAccess>();
        foreach (var project in all)
        {
            if (project.Permit is not { State: PermitStates.Active } permit) continue;
            var approved = project.Versions.First(v => v.Version == permit.ApplicationVersion);
            foreach (var member in permit.Members)
            {
                people.TryGetValue(member, out var person);
                data.Add(new DataAccess(member, person?.DisplayName, person?.Organisation, project.Id, project.Title, permit.Id,
                    approved.Application.LegalBasis?.Describe() ?? "", permit.Tables, permit.DataFrom, permit.DataTo,
                    permit.ValidFrom, permit.ValidTo, permit.IssuedBy, permit.Issued));
            }
        }

        var tokens = await hub.Tokens.ListAsync(null, ct);
        var live = tokens.Where(t => t.Revoked is null && (t.Expires is null || t.Expires > now)).ToList();
        var holders = new List<RoleHolder>();
        foreach (var name in people.Keys.Union(live.Select(t => t.Subject)).Order(StringComparer.Ordinal))
        {
            people.TryGetValue(name, out var person);
            var theirs = live.Where(t => t.Subject == name).ToList();
            var roles = person?.Roles ?? theirs.SelectMany(t => t.Roles).Distinct().Order().ToList();
            holders.Add(new RoleHolder(name, person?.DisplayName, person?.Organisation, roles, theirs.Count,
                theirs.Count == 0 ? null : theirs.Max(t => t.Expires), theirs.Any(t => t.Expires is null)));
        }
        return new AccessReviewReport(now, data, holders);
    }
}

public sealed record AccessReviewReport(DateTimeOffset At, IReadOnlyList<DataAccess> DataAccess, IReadOnlyList<RoleHolder> RoleHolders);

/// <summary>One person's access to one project's data today, and what it rests on.</summary>
public sealed record DataAccess(
    string User, string? DisplayName, string? Organisation, string Project, string Title, string Permit, string LegalBasis,
    IReadOnlyList<GrantedTable> Tables, DateOnly DataFrom, DateOnly DataTo, DateTimeOffset ValidFrom, DateTimeOffset ValidTo,
    string ApprovedBy, DateTimeOffset Approved);

/// <summary>A holder of hub roles and their live tokens (a token without expiry is flagged).</summary>
public sealed record RoleHolder(
    string User, string? DisplayName, string? Organisation, IReadOnlyList<string> Roles, int LiveTokens, DateTimeOffset? LastTokenExpiry,
    bool HasTokenWithoutExpiry);
