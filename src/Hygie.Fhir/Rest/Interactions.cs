using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hygie.Core.Audit;
using Hygie.Fhir.Search;
using Hygie.Fhir.Serialization;
using Hygie.Fhir.Storage;

namespace Hygie.Fhir.Rest;

/// <summary>
/// The FHIR interactions proper — create, update, patch, delete (plain and conditional), read, vread, history, search —
/// as the specification defines them, each on an <see cref="EntryOperation"/> so that REST requests and Bundle entries
/// run the same code.
/// </summary>
public static class Interactions
{
    public static Task<FhirResult> WriteAsync(WriteSession s, EntryOperation op) => op.Method switch
    {
        "POST" => CreateAsync(s, op),
        "PUT" => UpdateAsync(s, op),
        "PATCH" => PatchAsync(s, op),
        "DELETE" => DeleteAsync(s, op),
        _ => throw new InvalidOperationException(op.Method),
    };

    private static void RequireBody(EntryOperation op)
    {
        if (op.Resource is null) throw FhirException.BadRequest($"{op.Method} {op.Url} needs a resource");
        if (op.Resource.TypeName != op.Type)
            throw FhirException.BadRequest($"the resource is a {op.Resource.TypeName} but the url names {op.Type}", "resourceType");
    }

    public static async Task<FhirResult> CreateAsync(WriteSession s, EntryOperation op)
    {
        var ctx = s.Context;
        ctx.Caller.Scopes.Require(op.Type, SmartAction.Create);
        RequireBody(op);
        if (op.IfNoneExist is not null && op.Id is null)
        {
            var matches = await ConditionalMatchesAsync(s.Sql, ctx, op.Type, op.IfNoneExistPairs(), s.Store.Options);
            if (matches.Count > 1)
                throw FhirException.PreconditionFailed($"If-None-Exist '{op.IfNoneExist}' matches {matches.Count} or more {op.Type} resources: the criteria must select one at most");
            if (matches.Count == 1)
            {
                op.Id = matches[0].Id;
                op.MatchedExisting = true;
            }
        }
        if (op.MatchedExisting)
        {
            ctx.Caller.Scopes.Require(op.Type, SmartAction.Read);
            var existing = await ResourceRepository.ReadAsync(s.Sql, ctx.Tenant, op.Type, op.Id!)
                           ?? throw new InvalidOperationException("matched resource vanished");
            s.Audit.Add(ctx.Audit("fhir.read", $"{op.Type}/{op.Id}", existing.Patient, new Dictionary<string, string> { ["reason"] = "conditional-create" }));
            return Representation(ctx, 200, existing.Json, op.Type, op.Id!, existing.Version, existing.LastUpdated);
        }
        var resource = op.Resource!;
        resource.Id = op.Id ??= Guid.NewGuid().ToString();
        var written = await s.WriteAsync(resource, null, "POST", op.PreparedIndex);
        return Representation(ctx, 201, written.Json, written.Type, written.Id, written.Version, written.LastUpdated);
    }

    public static async Task<FhirResult> UpdateAsync(WriteSession s, EntryOperation op)
    {
        var ctx = s.Context;
        RequireBody(op);
        var resource = op.Resource!;
        CurrentRow? current;
        if (op.Id is null)
        {
            // Conditional update: no match creates, one match updates, more is a 412.
            var matches = await ConditionalMatchesAsync(s.Sql, ctx, op.Type, op.QueryPairs(), s.Store.Options);
            if (matches.Count > 1)
                throw FhirException.PreconditionFailed($"conditional update '{op.Url}' matches {matches.Count} or more resources: the criteria must select one at most");
            if (matches.Count == 1)
            {
                if (resource.Id is not null && resource.Id != matches[0].Id)
                    throw FhirException.BadRequest($"the resource id '{resource.Id}' differs from the id of the resource the criteria select", "id");
                op.Id = matches[0].Id;
                current = matches[0];
            }
            else
            {
                op.Id = resource.Id ?? Guid.NewGuid().ToString();
                current = await ResourceRepository.FindAsync(s.Sql, ctx.Tenant.Id, op.Type, op.Id);
            }
        }
        else
        {
            if (resource.Id is null) throw FhirException.BadRequest($"an update needs the resource's id in the body, equal to the url's ('{op.Id}')", $"{op.Type}.id");
            if (resource.Id != op.Id) throw FhirException.BadRequest($"the resource id '{resource.Id}' differs from the id in the url ('{op.Id}')", $"{op.Type}.id");
            current = await ResourceRepository.FindAsync(s.Sql, ctx.Tenant.Id, op.Type, op.Id);
        }
        var creating = current is null || current.Deleted;
        ctx.Caller.Scopes.Require(op.Type, creating ? SmartAction.Create : SmartAction.Update);
        CheckIfMatch(op, current);
        resource.Id = op.Id;
        var written = await s.WriteAsync(resource, current, "PUT");
        return Representation(ctx, written.Created ? 201 : 200, written.Json, written.Type, written.Id, written.Version, written.LastUpdated);
    }

    public static async Task<FhirResult> PatchAsync(WriteSession s, EntryOperation op)
    {
        var ctx = s.Context;
        ctx.Caller.Scopes.Require(op.Type, SmartAction.Update);
        CurrentRow? current;
        if (op.Id is null)
        {
            var matches = await ConditionalMatchesAsync(s.Sql, ctx, op.Type, op.QueryPairs(), s.Store.Options);
            if (matches.Count != 1)
                throw matches.Count == 0
                    ? FhirException.NotFound($"conditional patch '{op.Url}' matches no resource")
                    : FhirException.PreconditionFailed($"conditional patch '{op.Url}' matches {matches.Count} or more resources");
            current = matches[0];
            op.Id = current.Id;
        }
        else current = await ResourceRepository.FindAsync(s.Sql, ctx.Tenant.Id, op.Type, op.Id);
        if (current is null) throw FhirException.NotFound($"{op.Type}/{op.Id} does not exist");
        if (current.Deleted) throw FhirException.Gone($"{op.Type}/{op.Id} was deleted");
        CheckIfMatch(op, current);
        var stored = await ResourceRepository.ReadAsync(s.Sql, ctx.Tenant, op.Type, op.Id!) ?? throw FhirException.NotFound($"{op.Type}/{op.Id} does not exist");
        var patched = op.Resource is Parameters parameters
            ? FhirPatch.ApplyFhirPathPatch(stored.Json!, parameters)
            : FhirPatch.ApplyJsonPatch(stored.Json!, op.PatchBody ?? throw FhirException.BadRequest("a PATCH needs a JSON Patch document or a FHIRPath Patch Parameters resource"));
        var resource = FhirJson.Parse(patched);
        if (resource.TypeName != op.Type || resource.Id != op.Id)
            throw FhirException.Unprocessable("a patch may not change the resource's type or id");
        var written = await s.WriteAsync(resource, current, "PATCH");
        return Representation(ctx, 200, written.Json, written.Type, written.Id, written.Version, written.LastUpdated);
    }

    public static async Task<FhirResult> DeleteAsync(WriteSession s, EntryOperation op)
    {
        var ctx = s.Context;
        ctx.Caller.Scopes.Require(op.Type, SmartAction.Delete);
        CurrentRow? current;
        if (op.Id is null)
        {
            var matches = await ConditionalMatchesAsync(s.Sql, ctx, op.Type, op.QueryPairs(), s.Store.Options);
            if (matches.Count > 1)
                throw FhirException.PreconditionFailed($"conditional delete '{op.Url}' matches {matches.Count} or more resources: the criteria must select one at most");
            current = matches.Count == 1 ? matches[0] : null;
            op.Id = current?.Id;
        }
        else current = await ResourceRepository.FindAsync(s.Sql, ctx.Tenant.Id, op.Type, op.Id);
        if (op.IfMatch is not null) CheckIfMatch(op, current);
        if (current is null || current.Deleted)
        {
            op.NothingToDo = true;
            return new FhirResult(204, null);
        }
        var written = await s.DeleteAsync(current);
        return new FhirResult(204, null, VersionId: written.Version.ToString(CultureInfo.InvariantCulture), LastModified: written.LastUpdated);
    }

    private static void CheckIfMatch(EntryOperation op, CurrentRow? current)
    {
        if (op.IfMatch is null) return;
        var wanted = op.IfMatch.Trim();
        if (wanted.StartsWith("W/", StringComparison.Ordinal)) wanted = wanted[2..];
        wanted = wanted.Trim('"');
        if (current is null || current.Deleted)
            throw FhirException.PreconditionFailed($"If-Match {op.IfMatch}: {op.Type}/{op.Id} does not exist (or was deleted)");
        if (wanted != current.Version.ToString(CultureInfo.InvariantCulture))
            throw FhirException.PreconditionFailed($"If-Match {op.IfMatch} does not match the current version of {op.Type}/{op.Id} (W/\"{current.Version}\"): it was changed since you read it");
    }

    /// <summary>The resources a conditional interaction's criteria select (at most 2: all the rules need to know).</summary>
    public static async Task<IReadOnlyList<CurrentRow>> ConditionalMatchesAsync(SqlSession sql, FhirRequestContext ctx, string type,
        IEnumerable<KeyValuePair<string, string>> criteria, FhirOptions options)
    {
        var pairs = criteria.Where(p => p.Key is not ("_format" or "_pretty")).ToList();
        if (pairs.Count == 0) throw FhirException.BadRequest("conditional criteria are empty");
        // Criteria that the server would ignore could select the wrong resource: always strict here.
        var request = SearchRequest.Parse(type, pairs, options, strict: true);
        return await SearchEngine.FindAsync(sql, ctx.Tenant, request, 2);
    }

    public static FhirResult Representation(FhirRequestContext ctx, int status, byte[]? json, string type, string id, int version, DateTimeOffset lastUpdated)
    {
        var v = version.ToString(CultureInfo.InvariantCulture);
        var location = $"{ctx.BaseUrl}{type}/{id}/_history/{v}";
        var body = ctx.Return switch
        {
            ReturnPreference.Minimal => null,
            ReturnPreference.OperationOutcome => FhirResult.OperationOutcomeJson([new FhirIssue("information", "informational",
                $"{(status == 201 ? "created" : "updated")} {type}/{id} version {v}")]),
            _ => json,
        };
        return new FhirResult(status, body, location, v, lastUpdated);
    }

    // ---- reads ----

    public static async Task<(FhirResult Result, AuditEntry Audit)> ReadAsync(SqlSession sql, FhirRequestContext ctx, EntryOperation op,
        SearchParamsForRead? presentation = null)
    {
        ctx.Caller.Scopes.Require(op.Type, SmartAction.Read);
        int? version = null;
        if (op.VersionId is not null)
        {
            if (!int.TryParse(op.VersionId, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                throw FhirException.NotFound($"{op.Type}/{op.Id} has no version '{op.VersionId}'");
            version = v;
        }
        var stored = await ResourceRepository.ReadAsync(sql, ctx.Tenant, op.Type, op.Id!, version);
        if (stored is null)
            throw version is null ? FhirException.NotFound($"{op.Type}/{op.Id} is not known") : FhirException.NotFound($"{op.Type}/{op.Id} has no version {version}");
        var audit = ctx.Audit(version is null ? "fhir.read" : "fhir.vread", $"{op.Type}/{op.Id}", stored.Patient,
            new Dictionary<string, string> { ["version"] = stored.Version.ToString(CultureInfo.InvariantCulture) });
        if (stored.Deleted)
        {
            var gone = FhirResult.Outcome(410, new FhirIssue("error", "deleted", $"{op.Type}/{op.Id} was deleted (version {stored.Version})"))
                with { VersionId = stored.Version.ToString(CultureInfo.InvariantCulture), LastModified = stored.LastUpdated };
            return (gone, audit);
        }
        var v2 = stored.Version.ToString(CultureInfo.InvariantCulture);
        if (op.IfNoneMatch is not null && op.IfNoneMatch.Trim().Replace("W/", "").Trim('"') == v2)
            return (new FhirResult(304, null, VersionId: v2, LastModified: stored.LastUpdated), audit);
        var json = stored.Json!;
        if (op.Type == "Subscription") json = await Subscriptions.SubscriptionService.OverlayAsync(sql, ctx.Tenant, op.Id!, json);
        if (presentation is { IsDefault: false }) json = presentation.Apply(json);
        return (new FhirResult(200, json, null, v2, stored.LastUpdated), audit);
    }

    public static async Task<(FhirResult Result, AuditEntry Audit)> HistoryAsync(SqlSession sql, FhirRequestContext ctx, string? type, string? id,
        IEnumerable<KeyValuePair<string, string>> query, FhirOptions options, DateTimeOffset now)
    {
        if (type is not null) ctx.Caller.Scopes.Require(type, SmartAction.Read);
        else if (!ctx.Caller.Scopes.Allows("*", SmartAction.Read))
            throw FhirException.Forbidden("the whole tenant's history needs a scope on every type (user/*.read)");
        int count = options.DefaultPageSize, offset = 0;
        long? since = null;
        var echoed = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in query)
        {
            switch (key)
            {
                case "_count":
                    count = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? Math.Min(c, options.MaxPageSize)
                        : throw FhirException.BadRequest($"_count must be a non-negative integer, not '{value}'", "_count");
                    break;
                case "_offset":
                    offset = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o
                        : throw FhirException.BadRequest($"_offset must be a non-negative integer, not '{value}'", "_offset");
                    break;
                case "_since":
                    since = DateRange.TryParse(value, out var r) ? r.Low : throw FhirException.BadRequest($"_since must be an instant, not '{value}'", "_since");
                    echoed.Add(new(key, value));
                    break;
                case "_format" or "_pretty":
                    break;
                default:
                    if (ctx.StrictHandling) throw FhirException.BadRequest($"parameter '{key}' is not supported on history (Prefer: handling=strict)", key);
                    break;
            }
        }
        if (id is not null && await ResourceRepository.FindAsync(sql, ctx.Tenant.Id, type!, id) is null)
            throw FhirException.NotFound($"{type}/{id} is not known");
        var (page, total) = await ResourceRepository.HistoryAsync(sql, ctx.Tenant, type, id, since, count, offset);
        if (type is null) page = page.Where(v => ctx.Caller.Scopes.Allows(v.Type, SmartAction.Read)).ToList();
        var path = type is null ? "_history" : id is null ? $"{type}/_history" : $"{type}/{id}/_history";
        using var bundle = new BundleWriter("history", total, now);
        bundle.Links(PageLinks(ctx.BaseUrl + path, echoed, count, offset, total, page.Count));
        foreach (var v in page)
        {
            var vid = v.Version.ToString(CultureInfo.InvariantCulture);
            bundle.Entry(ctx.FullUrl(v.Type, v.Id), v.Json,
                request: new EntryRequest(v.Method, v.Method == "POST" ? v.Type : $"{v.Type}/{v.Id}"),
                response: new EntryResponse(v.Deleted ? "204 No Content" : v.Method == "POST" || v.Version == 1 ? "201 Created" : "200 OK",
                    $"{v.Type}/{v.Id}/_history/{vid}", $"W/\"{vid}\"", v.LastUpdated));
        }
        var audit = ctx.Audit("fhir.history", path, page.Select(p => p.Patient).FirstOrDefault(p => p is not null), Listing(page.Select(p => (p.Type, p.Id, p.Patient))));
        return (new FhirResult(200, bundle.Finish()), audit);
    }

    public static async Task<(FhirResult Result, AuditEntry Audit)> SearchAsync(SqlSession sql, FhirRequestContext ctx, string type,
        IEnumerable<KeyValuePair<string, string>> query, FhirOptions options, DateTimeOffset now)
    {
        ctx.Caller.Scopes.Require(type, SmartAction.Search);
        var request = SearchRequest.Parse(type, query, options, ctx.StrictHandling);
        foreach (var include in request.Includes.Where(i => i.Reverse))
            ctx.Caller.Scopes.Require(include.SourceType, SmartAction.Search);
        var result = await SearchEngine.RunAsync(sql, ctx.Tenant, request, options, t => ctx.Caller.Scopes.Allows(t, SmartAction.Read));
        using var bundle = new BundleWriter("searchset", result.Total, now);
        var links = PageLinks(ctx.BaseUrl + type, request.Understood, request.Count, request.Offset, result.Total, result.Matches.Count);
        bundle.Links(links);
        var presentation = new SearchParamsForRead(request.Summary is "count" ? null : request.Summary, request.Elements);
        foreach (var m in result.Matches)
            bundle.Entry(ctx.FullUrl(m.Type, m.Id), presentation.IsDefault ? m.Json : presentation.Apply(m.Json), "match");
        foreach (var m in result.Included)
            bundle.Entry(ctx.FullUrl(m.Type, m.Id), presentation.IsDefault ? m.Json : presentation.Apply(m.Json), "include");
        if (request.Ignored.Count > 0)
            bundle.Entry(null, FhirResult.OperationOutcomeJson([new FhirIssue("warning", "not-supported",
                $"ignored search parameters (unknown or unsupported): {string.Join(", ", request.Ignored)}; send 'Prefer: handling=strict' to have them refused")]), "outcome");
        var all = result.Matches.Concat(result.Included).Select(m => (m.Type, m.Id, m.Patient)).ToList();
        var details = Listing(all);
        details["total"] = result.Total?.ToString(CultureInfo.InvariantCulture) ?? "";
        var audit = ctx.Audit("fhir.search", type, null, details);
        return (new FhirResult(200, bundle.Finish()), audit);
    }

    /// <summary>What an audit entry says about resources shown: their type/id and the patient compartments they touch.</summary>
    internal static Dictionary<string, string> Listing(IEnumerable<(string Type, string Id, string? Patient)> shown)
    {
        var list = shown.ToList();
        return new Dictionary<string, string>
        {
            ["count"] = list.Count.ToString(CultureInfo.InvariantCulture),
            ["resources"] = string.Join(",", list.Select(x => $"{x.Type}/{x.Id}")),
            ["patients"] = string.Join(",", list.Select(x => x.Patient).Where(p => p is not null).Distinct().Select(p => $"Patient/{p}")),
        };
    }

    internal static List<(string, string)> PageLinks(string path, IReadOnlyList<KeyValuePair<string, string>> echoed, int count, int offset, long? total, int returned)
    {
        string Link(int at)
        {
            var pairs = echoed.Concat([new("_count", count.ToString(CultureInfo.InvariantCulture))]);
            if (at > 0) pairs = pairs.Concat([new("_offset", at.ToString(CultureInfo.InvariantCulture))]);
            return $"{path}?{QueryString.Encode(pairs)}";
        }
        var links = new List<(string, string)> { ("self", Link(offset)), ("first", Link(0)) };
        var hasNext = total is not null ? offset + count < total : returned == count && count > 0;
        if (count > 0 && offset > 0) links.Add(("previous", Link(Math.Max(0, offset - count))));
        if (hasNext) links.Add(("next", Link(offset + count)));
        if (total is not null && count > 0) links.Add(("last", Link((int)(Math.Max(0, total.Value - 1) / count * count))));
        return links;
    }
}

/// <summary><c>_summary</c> and <c>_elements</c> on reads and searches: applied by re-serializing with the SDK's filters.</summary>
public sealed class SearchParamsForRead(string? summary, string[]? elements)
{
    public bool IsDefault => summary is null && elements is null;

    public byte[] Apply(byte[] json)
    {
        var resource = FhirJson.Parse(json);
        SerializationFilter filter = elements is not null ? SerializationFilter.ForElements(elements, true) : summary switch
        {
            "text" => SerializationFilter.ForText(),
            "data" => SerializationFilter.ForData(),
            _ => SerializationFilter.ForSummary(),
        };
        resource.Meta ??= new Meta();
        resource.Meta.Tag.Add(new Coding("http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "SUBSETTED"));
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, FhirJson.WriterOptions)) FhirJson.Serialize(resource, writer, filter);
        return buffer.ToArray();
    }

    public static SearchParamsForRead From(IEnumerable<KeyValuePair<string, string>> query)
    {
        string? summary = null;
        string[]? elements = null;
        foreach (var (k, v) in query)
        {
            if (k == "_summary")
            {
                if (v is not ("true" or "false" or "text" or "data"))
                    throw FhirException.BadRequest($"_summary on a read must be true, false, text or data, not '{v}'", "_summary");
                summary = v == "false" ? null : v;
            }
            else if (k == "_elements") elements = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        return new SearchParamsForRead(summary, elements);
    }
}
