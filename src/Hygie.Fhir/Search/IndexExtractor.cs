using System.Collections.Concurrent;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.Fhir.Utility;

namespace Hygie.Fhir.Search;

/// <summary>The search index rows of one resource version.</summary>
public sealed class ResourceIndex
{
    public List<(string P, string? Sys, string? Code)> Tokens { get; } = [];
    public List<(string P, string V, string? Exact)> Strings { get; } = [];
    public List<(string P, long Lo, long Hi)> Dates { get; } = [];
    public List<(string P, double V, string? Sys, string? Code)> Numbers { get; } = [];
    public List<(string P, string? Type, string? Id, string? Url)> References { get; } = [];
    public List<CompositeRow> Composites { get; } = [];

    /// <summary>The patient whose compartment holds the resource (its own id for a Patient), or null.</summary>
    public string? Patient { get; set; }

    public int Count => Tokens.Count + Strings.Count + Dates.Count + Numbers.Count + References.Count + Composites.Count;
}

/// <summary>A composite index row: a token (the code) and a second value (quantity, token, date or string).</summary>
public sealed record CompositeRow(string P, string? Sys1, string? Code1, double? Num, string? Sys2, string? Code2, long? Lo, long? Hi, string? Str);

/// <summary>
/// Evaluates every search parameter's FHIRPath expression (the SDK's) on a resource and turns the values into index
/// rows. Values that are direct identifiers (see <see cref="SearchParam.Hashed"/>) become keyed hashes.
/// </summary>
public static class IndexExtractor
{
    private static readonly ConcurrentDictionary<string, PocoNode?> EmptyOfType = new(StringComparer.Ordinal);
    private static readonly string[] CompartmentParams = ["patient", "subject", "beneficiary"];

    public static ResourceIndex Extract(Resource resource, IndexHasher hasher, bool nameSearch)
    {
        var index = new ResourceIndex();
        var node = resource.ToPocoNode(ModelInfo.ModelInspector);
        var context = new FhirEvaluationContext { ElementResolver = ResolveByType };
        foreach (var param in SearchParameterRegistry.For(resource.TypeName).Values)
        {
            if (param.Compiled is null) continue;
            IEnumerable<PocoNode> values;
            try
            {
                values = param.Compiled.Invoke([node], context).ToList();
            }
            catch (InvalidOperationException)
            {
                continue; // an expression the data makes meaningless (e.g. a singleton function over a list): no values
            }
            foreach (var value in values)
            {
                if (param.Type == SearchParamType.Composite) AddComposite(index, param, value, context);
                else Add(index, param, value.Poco, hasher, nameSearch);
            }
        }
        index.Patient = resource.TypeName == "Patient" ? resource.Id : Compartment(resource.TypeName, index);
        return index;
    }

    private static string? Compartment(string type, ResourceIndex index)
    {
        foreach (var name in CompartmentParams)
        {
            var key = $"{type}.{name}";
            foreach (var r in index.References)
                if (r.P == key && r.Type == "Patient" && r.Url is null) return r.Id;
        }
        return null;
    }

    private static PocoNode? ResolveByType(string reference)
    {
        var parts = ReferenceParts.Parse(reference);
        if (parts?.Type is not { } type) return null;
        return EmptyOfType.GetOrAdd(type, t =>
            ModelInfo.GetTypeForFhirType(t) is { } clr && Activator.CreateInstance(clr) is Resource empty
                ? empty.ToPocoNode(ModelInfo.ModelInspector) : null);
    }

    private static void Add(ResourceIndex index, SearchParam param, Base value, IndexHasher hasher, bool nameSearch)
    {
        var p = param.Key;
        switch (param.Type)
        {
            case SearchParamType.Token:
                foreach (var (sys, code) in Tokens(value))
                    if (code is not null) index.Tokens.Add((p, sys, param.Hashed ? hasher.Token(code) : code));
                    else if (sys is not null && !param.Hashed) index.Tokens.Add((p, sys, null));
                break;
            case SearchParamType.String:
                foreach (var s in Strings(value))
                {
                    if (string.IsNullOrWhiteSpace(s)) continue;
                    if (!param.Hashed)
                    {
                        index.Strings.Add((p, IndexHasher.Normalize(s), s));
                        continue;
                    }
                    var normalized = IndexHasher.Normalize(s);
                    index.Strings.Add((p, hasher.Normalized(s), null));
                    index.Strings.Add((p, hasher.Exact(s), null));
                    if (param.NameLike && nameSearch)
                    {
                        // Every word's prefixes, hashed: "jean-paul" answers name=jea, name=pau.
                        foreach (var word in normalized.Split([' ', '-', '\''], StringSplitOptions.RemoveEmptyEntries).Append(normalized).Distinct())
                            for (var n = 1; n < Math.Min(word.Length, IndexHasher.MaxPrefix) + 1; n++)
                                index.Strings.Add((p, hasher.Prefix(word[..n]), null));
                    }
                }
                break;
            case SearchParamType.Date:
                foreach (var range in Dates(value)) index.Dates.Add((p, range.Low, range.High));
                break;
            case SearchParamType.Number:
                if (Number(value) is { } number) index.Numbers.Add((p, number, null, null));
                break;
            case SearchParamType.Quantity:
                if (Quantity(value) is { } q) index.Numbers.Add((p, q.Value, q.System, q.Code));
                break;
            case SearchParamType.Reference:
                foreach (var reference in References(value))
                    index.References.Add((p, reference.Type, reference.Id, reference.Url));
                break;
            case SearchParamType.Uri:
                if (value is PrimitiveType { JsonValue: not null } uri) index.Tokens.Add((p, null, uri.ToString()));
                break;
        }
    }

    private static void AddComposite(ResourceIndex index, SearchParam param, PocoNode node, FhirEvaluationContext context)
    {
        var (_, firstExpression) = param.Components[0];
        var (second, secondExpression) = param.Components[1];
        var codes = firstExpression.Invoke([node], context).SelectMany(v => Tokens(v.Poco)).Where(t => t.Code is not null).ToList();
        if (codes.Count == 0) return;
        foreach (var value in secondExpression.Invoke([node], context))
        {
            foreach (var (sys, code) in codes)
            {
                switch (second.Type)
                {
                    case SearchParamType.Quantity when Quantity(value.Poco) is { } q:
                        index.Composites.Add(new CompositeRow(param.Key, sys, code, q.Value, q.System, q.Code, null, null, null));
                        break;
                    case SearchParamType.Token:
                        foreach (var (sys2, code2) in Tokens(value.Poco))
                            index.Composites.Add(new CompositeRow(param.Key, sys, code, null, sys2, code2, null, null, null));
                        break;
                    case SearchParamType.Date:
                        foreach (var range in Dates(value.Poco))
                            index.Composites.Add(new CompositeRow(param.Key, sys, code, null, null, null, range.Low, range.High, null));
                        break;
                    case SearchParamType.String:
                        foreach (var s in Strings(value.Poco))
                            if (s is not null) index.Composites.Add(new CompositeRow(param.Key, sys, code, null, null, null, null, null, IndexHasher.Normalize(s)));
                        break;
                }
            }
        }
    }

    internal static IEnumerable<(string? System, string? Code)> Tokens(Base value)
    {
        switch (value)
        {
            case Coding c:
                yield return (c.System, c.Code);
                break;
            case CodeableConcept cc:
                foreach (var c in cc.Coding) yield return (c.System, c.Code);
                break;
            case Identifier id:
                yield return (id.System, id.Value);
                break;
            case ContactPoint cp:
                yield return (cp.System?.GetLiteral(), cp.Value);
                break;
            case FhirBoolean b when b.Value is not null:
                yield return (null, b.Value.Value ? "true" : "false");
                break;
            case PrimitiveType p when p.JsonValue is not null:
                yield return (null, p.JsonValue switch { bool v => v ? "true" : "false", string s => s, _ => p.ToString() });
                break;
        }
    }

    internal static IEnumerable<string?> Strings(Base value)
    {
        switch (value)
        {
            case HumanName n:
                yield return n.Family;
                foreach (var g in n.Given) yield return g;
                foreach (var x in n.Prefix) yield return x;
                foreach (var x in n.Suffix) yield return x;
                yield return n.Text;
                break;
            case Address a:
                foreach (var l in a.Line) yield return l;
                yield return a.City;
                yield return a.District;
                yield return a.State;
                yield return a.PostalCode;
                yield return a.Country;
                yield return a.Text;
                break;
            case CodeableConcept cc:
                yield return cc.Text;
                break;
            case PrimitiveType p when p.JsonValue is not null:
                yield return p.ToString();
                break;
        }
    }

    internal static IEnumerable<DateRange> Dates(Base value)
    {
        switch (value)
        {
            case Instant { Value: { } instant }:
                yield return DateRange.Of(instant);
                break;
            case Period period:
                DateRange? start = DateRange.TryParse(period.Start, out var s) ? s : null;
                DateRange? end = DateRange.TryParse(period.End, out var e) ? e : null;
                if (start is null && end is null) break;
                yield return new DateRange(start?.Low ?? DateRange.Min, end?.High ?? DateRange.Max);
                break;
            case Timing timing:
                foreach (var ev in timing.EventElement)
                    if (DateRange.TryParse(ev.Value, out var r)) yield return r;
                break;
            case PrimitiveType p when p.JsonValue is not null:
                if (DateRange.TryParse(p.ToString(), out var range)) yield return range;
                break;
        }
    }

    internal static double? Number(Base value) => value switch
    {
        FhirDecimal { Value: { } d } => (double)d,
        Integer { Value: { } i } => i,
        PositiveInt { Value: { } i } => i,
        UnsignedInt { Value: { } i } => i,
        _ => null,
    };

    internal static (double Value, string? System, string? Code)? Quantity(Base value) => value switch
    {
        Quantity { Value: { } v } q => ((double)v, q.System, q.Code ?? q.Unit),
        Money { Value: { } v } m => ((double)v, "urn:iso:std:iso:4217", m.Currency?.GetLiteral()),
        _ => null,
    };

    internal static IEnumerable<ReferenceParts> References(Base value)
    {
        switch (value)
        {
            case ResourceReference r when ReferenceParts.Parse(r.Reference) is { } parts:
                yield return parts;
                break;
            case Canonical c when c.Value is not null:
                yield return new ReferenceParts(null, null, c.Value);
                break;
            case FhirUri u when u.Value is not null:
                yield return ReferenceParts.Parse(u.Value) ?? new ReferenceParts(null, null, u.Value);
                break;
        }
    }
}
