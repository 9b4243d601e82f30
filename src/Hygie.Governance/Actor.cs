using RoleNames = Hygie.Core.Identity.Roles;

namespace Hygie.Governance;

/// <summary>Who asks: the authenticated subject and the roles it holds for this request.</summary>
public sealed record Actor(string Name, IReadOnlyList<string> Roles)
{
    public bool Has(string role) => Roles.Contains(role, StringComparer.Ordinal);

    public bool IsOperator => Has(RoleNames.Operator);
}
