using Hygie.Core.Audit;
using Hygie.Core.Identity;
using Hygie.Governance.Users;
using Hygie.Storage.Audit;

namespace Hygie.Governance.Access;

/// <summary>The audit log as auditors read it: events by actor and action, and every operator action with its reason.</summary>
public sealed class AuditTrail(Storage.Hub.Hub hub, UserDirectory users)
{
    public Task<IReadOnlyList<AuditEvent>> EventsAsync(AuditQuery query, CancellationToken ct = default) => hub.Audit.QueryAsync(query, ct);

    /// <summary>
    /// What every holder of the operator role did (their requests as such are left out: the actions they caused carry
    /// the reason given), newest first.
    /// </summary>
    public async Task<IReadOnlyList<AuditEvent>> OperatorActionsAsync(DateTimeOffset? since, int limit, CancellationToken ct = default)
    {
        var operators = (await users.ListAsync(ct)).Where(u => u.Roles.Contains(Roles.Operator)).Select(u => u.Name)
            .Union((await hub.Tokens.ListAsync(null, ct)).Where(t => t.Roles.Contains(Roles.Operator)).Select(t => t.Subject))
            .Distinct(StringComparer.Ordinal).ToList();
        var events = new List<AuditEvent>();
        foreach (var name in operators)
            events.AddRange((await hub.Audit.QueryAsync(new AuditQuery(Actor: name, Since: since, Limit: 10_000), ct))
                .Where(e => e.Action is not ("http.request" or "auth.failed")));
        return events.OrderByDescending(e => e.Seq).Take(Math.Clamp(limit, 1, 10_000)).ToList();
    }
}
