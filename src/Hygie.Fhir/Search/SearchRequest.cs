using System.Globalization;
using System.Text;
using Hl7.Fhir.Model;

namespace Hygie.Fhir.Search;

/// <summary>One search criterion: a parameter, its modifier, and values that are OR-ed (criteria are AND-ed).</summary>
public sealed record SearchClause(string Name, SearchParam? Param, string? Modifier, IReadOnlyList<string> Values);

public sealed record SortKey(string Name, SearchParam? Param, bool Descending);

/// <summary><c>_include=Source:param[:Target]</c> or, reversed, <c>_revinclude</c>.</summary>
public sealed record IncludeSpec(string SourceType, SearchParam Param, string? TargetType, bool Reverse, string Text);

/// <summary>A parsed FHIR search: criteria, paging, sorting, includes, summary.</summary>
public sealed class SearchRequest
{
    public required string Type { get; init; }
    public List<SearchClause> Clauses { get; } = [];
    public int Count { get; set; }
    public int Offset { get; set; }
    public List<SortKey> Sort { get; } = [];
    public List<IncludeSpec> Includes { get; } = [];
    public string? Summary { get; set; }
    public string[]? Elements { get; set; }
    public bool TotalNone { get; set; }

    /// <summary>Parameters the server did not understand and ignored (lenient handling); named in the answer.</summary>
    public List<string> Ignored { get; } = [];

    /// <summary>The understood parameters, as they will be echoed in the self link.</summary>
    public List<KeyValuePair<string, string>> Understood { get; } = [];

    private static readonly HashSet<string> Prefixes = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"];
    private static readonly HashSet<string> Ignorable = ["_format", "_pretty"];

    /// <summary>
    /// Parses a query. Unknown or unsupported parameters are refused (400) under <paramref name="strict"/> handling and
    /// otherwise ignored and listed in <see cref="Ignored"/>. Bad values are always refused.
    /// </summary>
    public static SearchRequest Parse(string type, IEnumerable<KeyValuePair<string, string>> query, FhirOptions options, bool strict)
    {
        var request = new SearchRequest { Type = type, Count = options.DefaultPageSize };
        var parameters = SearchParameterRegistry.For(type);
        foreach (var (rawKey, rawValue) in query)
        {
            var key = rawKey.Trim();
            var value = rawValue ?? "";
            if (key.Length == 0 || Ignorable.Contains(key)) continue;
            void Unknown(string why)
            {
                if (strict) throw FhirException.BadRequest($"search parameter '{key}' {why} (Prefer: handling=strict)", key);
                request.Ignored.Add(key);
            }
            void Keep() => request.Understood.Add(new(key, value));

            switch (key)
            {
                case "_count":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                        throw FhirException.BadRequest($"_count must be a non-negative integer, not '{value}'", "_count");
                    request.Count = Math.Min(count, options.MaxPageSize);
                    continue;
                case "_offset":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
                        throw FhirException.BadRequest($"_offset must be a non-negative integer, not '{value}'", "_offset");
                    request.Offset = offset;
                    continue;
                case "_sort":
                    foreach (var item in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    {
                        var descending = item.StartsWith('-');
                        var name = descending ? item[1..] : item;
                        if (name is "_id" or "_lastUpdated") request.Sort.Add(new SortKey(name, null, descending));
                        else if (parameters.TryGetValue(name, out var p)) request.Sort.Add(new SortKey(name, p, descending));
                        else throw FhirException.BadRequest($"cannot sort {type} by '{name}': not a search parameter of {type}", "_sort");
                    }
                    Keep();
                    continue;
                case "_summary":
                    if (value is not ("true" or "false" or "text" or "data" or "count"))
                        throw FhirException.BadRequest($"_summary must be true, false, text, data or count, not '{value}'", "_summary");
                    request.Summary = value == "false" ? null : value;
                    Keep();
                    continue;
                case "_elements":
                    request.Elements = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    Keep();
                    continue;
                case "_total":
                    if (value is not ("none" or "estimate" or "accurate"))
                        throw FhirException.BadRequest($"_total must be none, estimate or accurate, not '{value}'", "_total");
                    request.TotalNone = value == "none";
                    Keep();
                    continue;
                case "_include" or "_revinclude" or "_include:iterate" or "_revinclude:iterate":
                    request.Includes.Add(ParseInclude(type, key, value));
                    Keep();
                    continue;
            }

            var colon = key.IndexOf(':');
            var paramName = colon < 0 ? key : key[..colon];
            var modifier = colon < 0 ? null : key[(colon + 1)..];
            if (paramName.Contains('.') || (modifier?.Contains('.') ?? false))
            {
                Unknown("is a chained search, which this server does not support");
                continue;
            }
            if (paramName is "_has" or "_text" or "_content" or "_list" or "_query" or "_filter" or "_type" or "_contained" or "_containedType")
            {
                Unknown("is not supported by this server");
                continue;
            }
            var values = SplitValues(value);
            if (values.Count == 0) continue; // an empty value is ignored, as the specification says
            if (paramName is "_id" or "_lastUpdated")
            {
                if (modifier is not null && modifier != "missing") throw FhirException.BadRequest($"modifier ':{modifier}' is not supported on {paramName}", key);
                if (paramName == "_lastUpdated") foreach (var v in values) ParseDate(v, key);
                request.Clauses.Add(new SearchClause(paramName, null, modifier, values));
                Keep();
                continue;
            }
            if (!parameters.TryGetValue(paramName, out var param))
            {
                Unknown($"is not a search parameter of {type}");
                continue;
            }
            ValidateModifier(param, modifier, key);
            foreach (var v in values) ValidateValue(param, modifier, v, key);
            request.Clauses.Add(new SearchClause(paramName, param, modifier, values));
            Keep();
        }
        return request;
    }

    private static IncludeSpec ParseInclude(string type, string key, string value)
    {
        var reverse = key.StartsWith("_revinclude", StringComparison.Ordinal);
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || parts[1] == "*")
            throw FhirException.BadRequest($"{key} must be Type:parameter[:TargetType], not '{value}'", key);
        var source = parts[0];
        if (!SearchParameterRegistry.IsKnownType(source)) throw FhirException.BadRequest($"{key}: unknown resource type '{source}'", key);
        if (!reverse && source != type) throw FhirException.BadRequest($"{key}: the source type must be {type}, the type searched", key);
        var param = SearchParameterRegistry.Find(source, parts[1]);
        if (param is null || param.Type != SearchParamType.Reference)
            throw FhirException.BadRequest($"{key}: '{parts[1]}' is not a reference search parameter of {source}", key);
        var target = parts.Length == 3 ? parts[2] : null;
        if (target is not null && !SearchParameterRegistry.IsKnownType(target)) throw FhirException.BadRequest($"{key}: unknown target type '{target}'", key);
        return new IncludeSpec(source, param, target, reverse, value);
    }

    private static void ValidateModifier(SearchParam param, string? modifier, string key)
    {
        if (modifier is null || modifier == "missing") return;
        var ok = param.Type switch
        {
            SearchParamType.Token => modifier is "not",
            SearchParamType.String => modifier is "exact" or "contains",
            SearchParamType.Reference => SearchParameterRegistry.IsKnownType(modifier),
            SearchParamType.Uri => modifier is "below",
            _ => false,
        };
        if (!ok) throw FhirException.BadRequest($"modifier ':{modifier}' is not supported on {param.Type.ToString().ToLowerInvariant()} parameter '{param.Name}'", key);
        if (param.Hashed && modifier == "contains")
            throw FhirException.BadRequest($"'{param.Name}' holds direct identifiers, indexed as keyed hashes: it matches whole values (or name prefixes when the operator allows), not :contains", key);
    }

    private static void ValidateValue(SearchParam param, string? modifier, string value, string key)
    {
        if (modifier == "missing")
        {
            if (value is not ("true" or "false")) throw FhirException.BadRequest($"{key} takes true or false", key);
            return;
        }
        switch (param.Type)
        {
            case SearchParamType.Date:
                ParseDate(value, key);
                break;
            case SearchParamType.Number:
                ParseNumber(value, key);
                break;
            case SearchParamType.Quantity:
                ParseQuantity(value, key);
                break;
            case SearchParamType.Composite:
                var parts = value.Split('$');
                if (parts.Length != 2) throw FhirException.BadRequest($"{key} takes two values joined by '$' (e.g. code$value)", key);
                var second = param.Components[1].Part;
                if (second.Type == SearchParamType.Quantity) ParseQuantity(parts[1], key);
                else if (second.Type == SearchParamType.Date) ParseDate(parts[1], key);
                break;
        }
    }

    internal static (string Prefix, DateRange Range) ParseDate(string value, string key)
    {
        var (prefix, rest) = SplitPrefix(value);
        if (!DateRange.TryParse(rest, out var range))
            throw FhirException.BadRequest($"{key}: '{value}' is not a FHIR date (yyyy, yyyy-mm, yyyy-mm-dd or a dateTime, after an optional prefix eq, ne, gt, lt, ge, le, sa, eb, ap)", key);
        return (prefix, range);
    }

    internal static (string Prefix, decimal Value, int Scale) ParseNumber(string value, string key)
    {
        var (prefix, rest) = SplitPrefix(value);
        if (!decimal.TryParse(rest, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            throw FhirException.BadRequest($"{key}: '{value}' is not a number (after an optional prefix eq, ne, gt, lt, ge, le, sa, eb, ap)", key);
        var dot = rest.IndexOf('.');
        var scale = dot < 0 ? 0 : rest.Length - dot - 1;
        if (rest.Contains('e') || rest.Contains('E')) scale = 0;
        return (prefix, number, scale);
    }

    internal static (string Prefix, decimal Value, int Scale, string? System, string? Code) ParseQuantity(string value, string key)
    {
        var parts = value.Split('|');
        if (parts.Length is not (1 or 3)) throw FhirException.BadRequest($"{key}: a quantity is number, or number|system|code", key);
        var (prefix, number, scale) = ParseNumber(parts[0], key);
        return parts.Length == 1 ? (prefix, number, scale, null, null)
            : (prefix, number, scale, parts[1].Length == 0 ? null : parts[1], parts[2].Length == 0 ? null : parts[2]);
    }

    internal static (string Prefix, string Value) SplitPrefix(string value) =>
        value.Length > 2 && Prefixes.Contains(value[..2]) && (char.IsDigit(value[2]) || value[2] is '-' or '+' or '.')
            ? (value[..2], value[2..])
            : ("eq", value);

    /// <summary>Splits on commas not escaped with a backslash; unescapes <c>\,</c> <c>\$</c> <c>\|</c> <c>\\</c>.</summary>
    internal static List<string> SplitValues(string value)
    {
        var values = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && i + 1 < value.Length && value[i + 1] is ',' or '\\')
            {
                current.Append(value[++i]);
                continue;
            }
            if (c == ',')
            {
                if (current.Length > 0) values.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0) values.Add(current.ToString());
        return values;
    }
}
