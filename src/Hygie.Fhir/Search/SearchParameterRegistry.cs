using System.Collections.Concurrent;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace Hygie.Fhir.Search;

/// <summary>One search parameter of one resource type, compiled from the SDK's definition.</summary>
public sealed class SearchParam
{
    internal SearchParam(string resource, string name, SearchParamType type, string? url, string expression, CompiledExpression? compiled,
        IReadOnlyList<string> targets, IReadOnlyList<(SearchParam Part, CompiledExpression Expression)> components, bool hashed, bool nameLike)
    {
        Resource = resource; Name = name; Type = type; Url = url; Expression = expression; Compiled = compiled;
        Targets = targets; Components = components; Hashed = hashed; NameLike = nameLike;
    }

    public string Resource { get; }
    public string Name { get; }
    public SearchParamType Type { get; }
    public string? Url { get; }
    public string Expression { get; }
    internal CompiledExpression? Compiled { get; }
    public IReadOnlyList<string> Targets { get; }
    internal IReadOnlyList<(SearchParam Part, CompiledExpression Expression)> Components { get; }

    /// <summary>Values are direct identifiers (names, identifiers, telecoms, addresses): indexed as keyed hashes only.</summary>
    public bool Hashed { get; }

    /// <summary>A person's name: prefix search is possible (hashed prefixes) when the tenant allows name search.</summary>
    public bool NameLike { get; }

    /// <summary>The index key: <c>Type.name</c>.</summary>
    public string Key => $"{Resource}.{Name}";

    public override string ToString() => Key;
}

/// <summary>
/// The R4 search parameters of every resource type, taken from <see cref="ModelInfo.SearchParameters"/> (not written by
/// hand) and compiled once per type on first use. Each definition's expression is cut down to the branches that apply
/// to the type (the SDK's expressions are unions over many types), and <c>resolve() is Patient</c> is answered from the
/// reference's own type, without a database round trip.
/// </summary>
public static class SearchParameterRegistry
{
    private static readonly HashSet<string> PersonTypes = ["Patient", "Practitioner", "RelatedPerson", "Person", "PractitionerRole"];
    private static readonly HashSet<string> PersonNameParams = ["name", "given", "family", "phonetic"];
    private static readonly HashSet<string> PersonContactParams = ["telecom", "phone", "email", "address", "address-city", "address-state", "address-postalcode", "address-country"];

    /// <summary>Parameters every type has, which the SDK's table leaves out (<c>_id</c> and <c>_lastUpdated</c> are columns).</summary>
    private static readonly (string Name, SearchParamType Type, string Expression)[] Common =
    [
        ("_tag", SearchParamType.Token, "meta.tag"),
        ("_profile", SearchParamType.Uri, "meta.profile"),
        ("_security", SearchParamType.Token, "meta.security"),
        ("_source", SearchParamType.Uri, "meta.source"),
    ];

    public static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    private static readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, SearchParam>> ByType = new(StringComparer.Ordinal);

    private static readonly Lazy<ILookup<string, SearchParamDefinition>> Definitions =
        new(() => ModelInfo.SearchParameters.ToLookup(d => d.Resource ?? "", StringComparer.Ordinal));

    private static readonly Lazy<Dictionary<string, SearchParamDefinition>> ByUrl =
        new(() => ModelInfo.SearchParameters.Where(d => d.Url is not null).GroupBy(d => d.Url!).ToDictionary(g => g.Key, g => g.First()));

    public static bool IsKnownType(string type) => ModelInfo.IsKnownResource(type) && type is not ("Resource" or "DomainResource");

    /// <summary>The parameters of <paramref name="type"/> by name.</summary>
    public static IReadOnlyDictionary<string, SearchParam> For(string type) => ByType.GetOrAdd(type, Build);

    public static SearchParam? Find(string type, string name) => For(type).GetValueOrDefault(name);

    private static IReadOnlyDictionary<string, SearchParam> Build(string type)
    {
        var result = new Dictionary<string, SearchParam>(StringComparer.Ordinal);
        foreach (var (name, kind, expression) in Common)
            result[name] = new SearchParam(type, name, kind, null, expression, Compiler.Compile(expression), [], [], false, false);
        foreach (var definition in Definitions.Value[type])
        {
            if (definition.Name is null || definition.Expression is null || definition.Type == SearchParamType.Special) continue;
            var param = Create(type, definition);
            if (param is not null) result[param.Name] = param;
        }
        return result;
    }

    private static SearchParam? Create(string type, SearchParamDefinition definition)
    {
        var expression = ForType(definition.Expression!, type);
        if (expression is null) return null;
        var components = new List<(SearchParam, CompiledExpression)>();
        if (definition.Type == SearchParamType.Composite)
        {
            foreach (var component in definition.Component ?? [])
            {
                if (component.Definition is null || component.Expression is null || !ByUrl.Value.TryGetValue(component.Definition, out var partDefinition))
                    return null;
                var part = new SearchParam(type, partDefinition.Name ?? "", partDefinition.Type, partDefinition.Url, component.Expression, null, [], [], false, false);
                components.Add((part, Compiler.Compile(component.Expression)));
            }
            if (components.Count != 2) return null;
        }
        var (hashed, nameLike) = Privacy(type, definition.Name!, definition.Type, expression);
        var targets = (definition.Target ?? []).Select(t => t.ToString()).ToList();
        return new SearchParam(type, definition.Name!, definition.Type, definition.Url, expression, Compiler.Compile(expression), targets, components, hashed, nameLike);
    }

    /// <summary>Which parameters carry direct identifiers, so that their index holds keyed hashes only.</summary>
    internal static (bool Hashed, bool NameLike) Privacy(string type, string name, SearchParamType kind, string expression)
    {
        if (kind is not (SearchParamType.Token or SearchParamType.String)) return (false, false);
        if (expression.Contains("identifier", StringComparison.OrdinalIgnoreCase) || expression.Contains("telecom", StringComparison.Ordinal))
            return (true, false);
        if (PersonTypes.Contains(type))
        {
            if (PersonNameParams.Contains(name)) return (true, kind == SearchParamType.String);
            if (PersonContactParams.Contains(name)) return (true, false);
        }
        return (false, false);
    }

    /// <summary>Keeps the union branches of <paramref name="expression"/> that can apply to <paramref name="type"/>.</summary>
    internal static string? ForType(string expression, string type)
    {
        var branches = new List<string>();
        int depth = 0, start = 0;
        var quoted = false;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '\'') quoted = !quoted;
            if (quoted) continue;
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == '|' && depth == 0) { branches.Add(expression[start..i].Trim()); start = i + 1; }
        }
        branches.Add(expression[start..].Trim());
        var kept = branches.Where(b =>
        {
            var head = new string(b.TrimStart('(', ' ').TakeWhile(char.IsLetterOrDigit).ToArray());
            return head == type || head is "Resource" or "DomainResource" || !ModelInfo.IsKnownResource(head);
        }).ToList();
        return kept.Count == 0 ? null : string.Join(" | ", kept);
    }
}
