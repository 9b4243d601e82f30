namespace Hygie.Web.Console;

/// <summary>
/// The roles a console page needs, as the API route it mirrors asks them: a signed-out reader is sent to sign in, a
/// reader without the role gets a 403 page naming the rule (and the refusal is audited).
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ConsoleRolesAttribute(params string[] roles) : Attribute
{
    public IReadOnlyList<string> Roles { get; } = roles;
}
