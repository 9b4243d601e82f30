using System.Text;
using Hl7.Fhir.Model;
using Hygie.Fhir.Storage;
using Hygie.Fhir.Tenants;

namespace Hygie.Fhir.Search;

/// <summary>A resource a search found (current version, opened).</summary>
public sealed record SearchMatch(long Rid, string Type, string Id, int Version, DateTimeOffset LastUpdated, byte[] Json, string? Patient);

public sealed record SearchResult(IReadOnlyList<SearchMatch> Matches, IReadOnlyList<SearchMatch> Included, long? Total);

/// <summary>Turns a <see cref="SearchRequest"/> into portable SQL over the index tables and runs it.</summary>
public static class SearchEngine
{
    public static async Task<SearchResult> RunAsync(SqlSession s, TenantContext t, SearchRequest request, FhirOptions options,
        Func<string, bool>? typeAllowed = null)
    {
        var (where, args) = Where(t, request);
        long? total = null;
        if (!request.TotalNone || request.Summary == "count")
            total = Convert.ToInt64(await s.ScalarAsync($"SELECT COUNT(*) FROM fhir_resources r WHERE {where}", args.ToArray()));
        if (request.Summary == "count" || request.Count == 0) return new SearchResult([], [], total);

        var order = OrderBy(request, args);
        var limit = args.Count;
        args.Add(request.Count);
        args.Add(request.Offset);
        var matches = await LoadAsync(s, t,
            $"SELECT r.rid, r.type, r.id, r.version, r.last_updated, v.body, r.patient FROM fhir_resources r JOIN fhir_versions v ON v.rid = r.rid AND v.version = r.version " +
            $"WHERE {where} ORDER BY {order} LIMIT @p{limit} OFFSET @p{limit + 1}", args);
        var included = request.Includes.Count == 0 || matches.Count == 0
            ? [] : await IncludeAsync(s, t, request, matches, options, typeAllowed ?? (_ => true));
        return new SearchResult(matches, included, total);
    }

    /// <summary>The resources matching a search, at most <paramref name="limit"/> (conditional interactions ask for 2).</summary>
    public static async Task<IReadOnlyList<CurrentRow>> FindAsync(SqlSession s, TenantContext t, SearchRequest request, int limit)
    {
        var (where, args) = Where(t, request);
        args.Add(limit);
        var rows = new List<CurrentRow>();
        await using var reader = await s.ReaderAsync(
            $"SELECT r.rid, r.id, r.version, r.last_updated, r.patient FROM fhir_resources r WHERE {where} ORDER BY r.rid LIMIT @p{args.Count - 1}", args.ToArray());
        while (await reader.ReadAsync())
            rows.Add(new CurrentRow(Convert.ToInt64(reader.GetValue(0)), request.Type, reader.GetString(1), Convert.ToInt32(reader.GetValue(2)), false,
                Convert.ToInt64(reader.GetValue(3)), reader.IsDBNull(4) ? null : reader.GetString(4)));
        return rows;
    }

    /// <summary>Whether the resource <paramref name="rid"/> matches the criteria (subscriptions).</summary>
    public static async Task<bool> MatchesAsync(SqlSession s, TenantContext t, SearchRequest request, long rid)
    {
        var (where, args) = Where(t, request);
        args.Add(rid);
        return await s.ScalarAsync($"SELECT 1 FROM fhir_resources r WHERE {where} AND r.rid = @p{args.Count - 1}", args.ToArray()) is not null;
    }

    private static async Task<List<SearchMatch>> LoadAsync(SqlSession s, TenantContext t, string sql, List<object?> args)
    {
        var list = new List<SearchMatch>();
        await using var reader = await s.ReaderAsync(sql, args.ToArray());
        while (await reader.ReadAsync())
        {
            var type = reader.GetString(1);
            var id = reader.GetString(2);
            var version = Convert.ToInt32(reader.GetValue(3));
            list.Add(new SearchMatch(Convert.ToInt64(reader.GetValue(0)), type, id, version,
                DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(reader.GetValue(4))),
                t.Open((byte[])reader.GetValue(5), type, id, version), reader.IsDBNull(6) ? null : reader.GetString(6)));
        }
        return list;
    }

    private static async Task<List<SearchMatch>> IncludeAsync(SqlSession s, TenantContext t, SearchRequest request, List<SearchMatch> matches,
        FhirOptions options, Func<string, bool> typeAllowed)
    {
        var seen = new HashSet<long>(matches.Select(m => m.Rid));
        var included = new List<SearchMatch>();
        foreach (var include in request.Includes)
        {
            if (included.Count >= options.MaxIncludes) break;
            var args = new List<object?> { t.Id };
            string sql;
            // Driven from the reference index (p, tid, ttype), then the resources' unique key: never a scan of the tenant.
            if (!include.Reverse)
            {
                var rids = string.Join(", ", matches.Select(m => Arg(args, m.Rid)));
                var key = Arg(args, include.Param.Key);
                var target = include.TargetType is null ? "" : $" AND x.ttype = {Arg(args, include.TargetType)}";
                sql = "SELECT r.rid, r.type, r.id, r.version, r.last_updated, v.body, r.patient FROM fhir_ix_ref x " +
                      "JOIN fhir_resources r ON r.tenant = @p0 AND r.type = x.ttype AND r.id = x.tid " +
                      "JOIN fhir_versions v ON v.rid = r.rid AND v.version = r.version " +
                      $"WHERE x.rid IN ({rids}) AND x.p = {key}{target} AND x.url IS NULL AND r.deleted = 0";
            }
            else
            {
                var ids = string.Join(", ", matches.Select(m => Arg(args, m.Id)));
                var key = Arg(args, include.Param.Key);
                var type = Arg(args, request.Type);
                sql = "SELECT r.rid, r.type, r.id, r.version, r.last_updated, v.body, r.patient FROM fhir_ix_ref x " +
                      "JOIN fhir_resources r ON r.rid = x.rid " +
                      "JOIN fhir_versions v ON v.rid = r.rid AND v.version = r.version " +
                      $"WHERE x.p = {key} AND x.tid IN ({ids}) AND x.ttype = {type} AND x.url IS NULL AND r.tenant = @p0 AND r.deleted = 0";
            }
            args.Add(options.MaxIncludes - included.Count);
            foreach (var match in await LoadAsync(s, t, sql + $" ORDER BY r.rid LIMIT @p{args.Count - 1}", args))
                if (typeAllowed(match.Type) && seen.Add(match.Rid)) included.Add(match);
        }
        return included;
    }

    private static string Arg(List<object?> args, object? value)
    {
        args.Add(value);
        return $"@p{args.Count - 1}";
    }

    internal static (string Where, List<object?> Args) Where(TenantContext t, SearchRequest request)
    {
        var args = new List<object?> { t.Id, request.Type };
        var sql = new StringBuilder("r.tenant = @p0 AND r.type = @p1 AND r.deleted = 0");
        foreach (var clause in request.Clauses)
        {
            sql.Append(" AND ");
            sql.Append(Clause(t, clause, args));
        }
        return (sql.ToString(), args);
    }

    private static string Clause(TenantContext t, SearchClause clause, List<object?> args)
    {
        if (clause.Name == "_id")
            return clause.Modifier == "missing"
                ? (clause.Values[0] == "true" ? "1 = 0" : "1 = 1")
                : $"r.id IN ({string.Join(", ", clause.Values.Select(v => Arg(args, v)))})";
        if (clause.Name == "_lastUpdated")
            return "(" + string.Join(" OR ", clause.Values.Select(v =>
            {
                var (prefix, range) = SearchRequest.ParseDate(v, clause.Name);
                return DateCondition(prefix, range, "r.last_updated", "r.last_updated", args);
            })) + ")";

        var param = clause.Param!;
        var table = Table(param.Type);
        var key = Arg(args, param.Key);
        if (clause.Modifier == "missing")
        {
            var any = $"r.rid IN (SELECT x.rid FROM {table} x WHERE x.p = {key})";
            return clause.Values[0] == "true" ? "NOT " + any : any;
        }
        var conditions = clause.Values.Select(v => "(" + ValueCondition(t, param, clause.Modifier, v, args) + ")");
        // "rid IN (index lookup)": the index rows drive the query (SQLite looks rows up by rowid, PostgreSQL semi-joins),
        // rather than a per-resource EXISTS over every resource of the type.
        var body = $"r.rid IN (SELECT x.rid FROM {table} x WHERE x.p = {key} AND ({string.Join(" OR ", conditions)}))";
        return clause.Modifier == "not" ? "NOT " + body : body;
    }

    private static string Table(SearchParamType type) => type switch
    {
        SearchParamType.Token or SearchParamType.Uri => "fhir_ix_token",
        SearchParamType.String => "fhir_ix_string",
        SearchParamType.Date => "fhir_ix_date",
        SearchParamType.Number or SearchParamType.Quantity => "fhir_ix_number",
        SearchParamType.Reference => "fhir_ix_ref",
        SearchParamType.Composite => "fhir_ix_composite",
        _ => throw FhirException.NotSupported($"search parameters of type {type} are not supported"),
    };

    private static string ValueCondition(TenantContext t, SearchParam param, string? modifier, string value, List<object?> args)
    {
        switch (param.Type)
        {
            case SearchParamType.Token:
                return TokenCondition(t, param.Hashed, value, "x.sys", "x.code", args);
            case SearchParamType.Uri:
                return modifier == "below" ? $"x.code LIKE {Arg(args, EscapeLike(value) + "%")} ESCAPE '\\'" : $"x.code = {Arg(args, value)}";
            case SearchParamType.String:
                return StringCondition(t, param, modifier, value, args);
            case SearchParamType.Date:
            {
                var (prefix, range) = SearchRequest.ParseDate(value, param.Name);
                return DateCondition(prefix, range, "x.lo", "x.hi", args);
            }
            case SearchParamType.Number:
            {
                var (prefix, number, scale) = SearchRequest.ParseNumber(value, param.Name);
                return NumberCondition(prefix, number, scale, "x.v", args);
            }
            case SearchParamType.Quantity:
            {
                var (prefix, number, scale, system, code) = SearchRequest.ParseQuantity(value, param.Name);
                var condition = NumberCondition(prefix, number, scale, "x.v", args);
                if (system is not null) condition += $" AND x.sys = {Arg(args, system)}";
                if (code is not null) condition += $" AND x.code = {Arg(args, code)}";
                return condition;
            }
            case SearchParamType.Reference:
                return ReferenceCondition(t, param, modifier, value, args);
            case SearchParamType.Composite:
            {
                var parts = value.Split('$', 2);
                var condition = TokenCondition(t, false, parts[0], "x.sys1", "x.code1", args);
                var second = param.Components[1].Part;
                switch (second.Type)
                {
                    case SearchParamType.Quantity:
                        var (prefix, number, scale, system, code) = SearchRequest.ParseQuantity(parts[1], param.Name);
                        condition += " AND " + NumberCondition(prefix, number, scale, "x.num", args);
                        if (system is not null) condition += $" AND x.sys2 = {Arg(args, system)}";
                        if (code is not null) condition += $" AND x.code2 = {Arg(args, code)}";
                        break;
                    case SearchParamType.Token:
                        condition += " AND " + TokenCondition(t, false, parts[1], "x.sys2", "x.code2", args);
                        break;
                    case SearchParamType.Date:
                        var (datePrefix, range) = SearchRequest.ParseDate(parts[1], param.Name);
                        condition += " AND " + DateCondition(datePrefix, range, "x.lo", "x.hi", args);
                        break;
                    default:
                        condition += $" AND x.str LIKE {Arg(args, EscapeLike(IndexHasher.Normalize(parts[1])) + "%")} ESCAPE '\\'";
                        break;
                }
                return condition;
            }
            default:
                throw FhirException.NotSupported($"search parameter '{param.Name}' of type {param.Type} is not supported");
        }
    }

    private static string TokenCondition(TenantContext t, bool hashed, string value, string sysColumn, string codeColumn, List<object?> args)
    {
        string Code(string c) => Arg(args, hashed ? t.Hasher.Token(c) : c);
        var bar = IndexOfUnescaped(value, '|');
        if (bar < 0) return $"{codeColumn} = {Code(Unescape(value))}";
        var system = Unescape(value[..bar]);
        var code = Unescape(value[(bar + 1)..]);
        if (system.Length == 0) return $"{sysColumn} IS NULL AND {codeColumn} = {Code(code)}";
        if (code.Length == 0) return $"{sysColumn} = {Arg(args, system)}";
        return $"{sysColumn} = {Arg(args, system)} AND {codeColumn} = {Code(code)}";
    }

    private static string StringCondition(TenantContext t, SearchParam param, string? modifier, string value, List<object?> args)
    {
        var normalized = IndexHasher.Normalize(value);
        if (param.Hashed)
        {
            if (modifier == "exact") return $"x.v = {Arg(args, t.Hasher.Exact(value))}";
            if (param.NameLike && t.Tenant.NameSearch && normalized.Length <= IndexHasher.MaxPrefix)
                return $"x.v = {Arg(args, t.Hasher.Prefix(normalized))}";
            return $"x.v = {Arg(args, t.Hasher.Normalized(value))}";
        }
        return modifier switch
        {
            "exact" => $"x.ex = {Arg(args, value)}",
            "contains" => $"x.v LIKE {Arg(args, "%" + EscapeLike(normalized) + "%")} ESCAPE '\\'",
            _ => $"x.v LIKE {Arg(args, EscapeLike(normalized) + "%")} ESCAPE '\\'",
        };
    }

    private static string ReferenceCondition(TenantContext t, SearchParam param, string? modifier, string value, List<object?> args)
    {
        if (modifier is not null) value = $"{modifier}/{value}";
        var parts = ReferenceParts.Parse(value);
        if (parts is { IsLocal: true } local)
            return $"x.ttype = {Arg(args, local.Type)} AND x.tid = {Arg(args, local.Id)} AND x.url IS NULL";
        if (ReferenceParts.IsValidId(value))
        {
            var condition = $"x.tid = {Arg(args, value)} AND x.url IS NULL";
            return param.Targets.Count == 1 ? condition + $" AND x.ttype = {Arg(args, param.Targets[0])}" : condition;
        }
        return $"x.url = {Arg(args, value)}";
    }

    internal static string DateCondition(string prefix, DateRange s, string lo, string hi, List<object?> args)
    {
        var sLo = Arg(args, s.Low);
        var sHi = Arg(args, s.High);
        var within = $"{lo} >= {sLo} AND {hi} <= {sHi}";
        return prefix switch
        {
            "eq" => within,
            "ne" => $"NOT ({within})",
            "gt" => $"{hi} > {sHi}",
            "lt" => $"{lo} < {sLo}",
            "ge" => $"({hi} > {sHi} OR ({within}))",
            "le" => $"({lo} < {sLo} OR ({within}))",
            "sa" => $"{lo} > {sHi}",
            "eb" => $"{hi} < {sLo}",
            _ => $"{lo} <= {sHi} AND {hi} >= {sLo}", // ap: overlaps
        };
    }

    private static string NumberCondition(string prefix, decimal value, int scale, string column, List<object?> args)
    {
        var half = 0.5m * (decimal)Math.Pow(10, -scale);
        return prefix switch
        {
            "eq" => $"{column} >= {Arg(args, (double)(value - half))} AND {column} < {Arg(args, (double)(value + half))}",
            "ne" => $"NOT ({column} >= {Arg(args, (double)(value - half))} AND {column} < {Arg(args, (double)(value + half))})",
            "gt" or "sa" => $"{column} > {Arg(args, (double)value)}",
            "lt" or "eb" => $"{column} < {Arg(args, (double)value)}",
            "ge" => $"{column} >= {Arg(args, (double)value)}",
            "le" => $"{column} <= {Arg(args, (double)value)}",
            _ => $"{column} >= {Arg(args, (double)(value - Math.Abs(value) * 0.1m))} AND {column} <= {Arg(args, (double)(value + Math.Abs(value) * 0.1m))}",
        };
    }

    private static string OrderBy(SearchRequest request, List<object?> args)
    {
        var keys = new List<string>();
        foreach (var sort in request.Sort)
        {
            var direction = sort.Descending ? "DESC" : "ASC";
            if (sort.Name == "_id") { keys.Add($"r.id {direction}"); continue; }
            if (sort.Name == "_lastUpdated") { keys.Add($"r.last_updated {direction}"); continue; }
            var param = sort.Param!;
            if (param.Hashed)
                throw FhirException.BadRequest($"cannot sort by '{param.Name}': it holds direct identifiers, indexed as keyed hashes", "_sort");
            var key = Arg(args, param.Key);
            var (table, low, high, missingLow, missingHigh) = param.Type switch
            {
                SearchParamType.Date => ("fhir_ix_date", "MIN(x.lo)", "MAX(x.hi)", (object)DateRange.Max, (object)DateRange.Min),
                SearchParamType.Number or SearchParamType.Quantity => ("fhir_ix_number", "MIN(x.v)", "MAX(x.v)", double.MaxValue, double.MinValue),
                SearchParamType.String => ("fhir_ix_string", "MIN(x.v)", "MAX(x.v)", "\uffff", ""),
                SearchParamType.Token or SearchParamType.Uri => ("fhir_ix_token", "MIN(x.code)", "MAX(x.code)", "\uffff", ""),
                SearchParamType.Reference => ("fhir_ix_ref", "MIN(x.tid)", "MAX(x.tid)", "\uffff", ""),
                _ => throw FhirException.BadRequest($"cannot sort by composite parameter '{param.Name}'", "_sort"),
            };
            // Resources without a value sort last either way (COALESCE with a sentinel: SQLite and PostgreSQL order NULLs differently).
            keys.Add(sort.Descending
                ? $"COALESCE((SELECT {high} FROM {table} x WHERE x.rid = r.rid AND x.p = {key}), {Arg(args, missingHigh)}) DESC"
                : $"COALESCE((SELECT {low} FROM {table} x WHERE x.rid = r.rid AND x.p = {key}), {Arg(args, missingLow)}) ASC");
        }
        keys.Add("r.rid ASC");
        return string.Join(", ", keys);
    }

    private static int IndexOfUnescaped(string value, char c)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\') { i++; continue; }
            if (value[i] == c) return i;
        }
        return -1;
    }

    private static string Unescape(string value) => value.Replace("\\|", "|").Replace("\\$", "$");

    private static string EscapeLike(string value) => value.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");
}
