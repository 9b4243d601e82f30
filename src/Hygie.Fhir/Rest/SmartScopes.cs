using System.Text.RegularExpressions;

namespace Hygie.Fhir.Rest;

/// <summary>What an interaction does to data, in SMART terms (v2 letters: c r u d s).</summary>
public enum SmartAction
{
    Create,
    Read,
    Update,
    Delete,
    Search,
}

/// <summary>
/// SMART on FHIR scopes from the caller's token: v1 (<c>user/Observation.read</c>, <c>patient/*.write</c>,
/// <c>user/*.*</c>) and v2 (<c>user/Observation.rs</c>, <c>system/*.cruds</c>). A scope grants an action on a resource
/// type (or every type); the context (<c>patient</c>, <c>user</c>, <c>system</c>) is recorded but, without a patient
/// launch context in the token, a <c>patient/</c> scope is enforced on type and action only.
/// </summary>
public sealed partial class SmartScopes
{
    private readonly List<(string Context, string Type, HashSet<SmartAction> Actions)> _grants = [];

    [GeneratedRegex(@"^(?<ctx>patient|user|system)/(?<type>\*|[A-Z][A-Za-z]+)\.(?<perm>\*|read|write|[cruds]+)$")]
    private static partial Regex Pattern();

    public SmartScopes(IEnumerable<string> scopes)
    {
        foreach (var scope in scopes)
        {
            var m = Pattern().Match(scope);
            if (!m.Success) continue; // other scopes (openid, launch, a hub role…) grant nothing here
            var perm = m.Groups["perm"].Value;
            HashSet<SmartAction> actions = perm switch
            {
                "*" => [SmartAction.Create, SmartAction.Read, SmartAction.Update, SmartAction.Delete, SmartAction.Search],
                "read" => [SmartAction.Read, SmartAction.Search],
                "write" => [SmartAction.Create, SmartAction.Update, SmartAction.Delete],
                _ => [.. perm.Select(c => c switch
                {
                    'c' => SmartAction.Create,
                    'r' => SmartAction.Read,
                    'u' => SmartAction.Update,
                    'd' => SmartAction.Delete,
                    _ => SmartAction.Search,
                })],
            };
            _grants.Add((m.Groups["ctx"].Value, m.Groups["type"].Value, actions));
        }
    }

    public bool IsEmpty => _grants.Count == 0;

    /// <summary>Null when <paramref name="scope"/> is a SMART scope this API enforces; otherwise what is wrong with it.</summary>
    public static string? Problem(string scope)
    {
        var m = Pattern().Match(scope);
        if (!m.Success)
            return "a SMART scope is context/Type.permissions: context patient, user or system; a resource type or *; " +
                   "permissions read, write, * (v1) or letters of cruds (v2), e.g. user/*.read or patient/Observation.write";
        var type = m.Groups["type"].Value;
        return type == "*" || Search.SearchParameterRegistry.IsKnownType(type) ? null : $"'{type}' is not a FHIR R4 resource type";
    }

    public bool Allows(string type, SmartAction action) =>
        _grants.Any(g => (g.Type == "*" || g.Type == type) && g.Actions.Contains(action));

    /// <summary>Refuses with 403 naming the scope that would be needed.</summary>
    public void Require(string type, SmartAction action)
    {
        if (!Allows(type, action))
            throw FhirException.Forbidden(
                $"the token's scopes do not allow {Verb(action)} {type} (needs a scope such as user/{type}.{V1(action)} or user/{type}.{V2(action)})");
    }

    private static string Verb(SmartAction a) => a switch
    {
        SmartAction.Create => "creating",
        SmartAction.Read => "reading",
        SmartAction.Update => "updating",
        SmartAction.Delete => "deleting",
        _ => "searching",
    };

    private static string V1(SmartAction a) => a is SmartAction.Read or SmartAction.Search ? "read" : "write";

    private static string V2(SmartAction a) => a switch
    {
        SmartAction.Create => "c",
        SmartAction.Read => "r",
        SmartAction.Update => "u",
        SmartAction.Delete => "d",
        _ => "s",
    };
}

/// <summary>Who calls: the token's subject, tenant and scopes (and the token id for the audit trail).</summary>
public sealed record FhirCaller(string Subject, string? Tenant, SmartScopes Scopes, string? TokenId = null);
