namespace Hygie.Core.Identity;

/// <summary>The roles a person or a token can hold. A person may hold several.</summary>
public static class Roles
{
    public const string Operator = "operator";
    public const string Producer = "producer";
    public const string Reviewer = "reviewer";
    public const string Researcher = "researcher";
    public const string Auditor = "auditor";

    public static readonly IReadOnlyList<string> All = [Operator, Producer, Reviewer, Researcher, Auditor];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}
