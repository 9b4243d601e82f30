using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Hygie.Core.Audit;
using Hygie.Fhir.Rest;
using Hygie.Fhir.Search;
using Hygie.Fhir.Serialization;

namespace Hygie.Fhir.Bundles;

/// <summary>
/// <c>batch</c> and <c>transaction</c> Bundles as FHIR R4 defines them (3.1.0.11). A transaction is all or nothing in one
/// database transaction: entries are checked first (strict parsing, duplicates), POSTed entries get their ids, then —
/// under the write lock — conditional creates and updates are resolved against the store, <c>urn:uuid</c> / fullUrl and
/// conditional references in resource bodies are rewritten, and the entries run in the order DELETE, POST, PUT/PATCH,
/// GET/HEAD. The first failure rolls everything back and is answered as an OperationOutcome naming the entry. A batch
/// runs each entry on its own and reports each outcome.
/// </summary>
public sealed partial class BundleProcessor(FhirStore store)
{
    private static readonly string[] Order = ["DELETE", "POST", "PUT", "PATCH", "GET", "HEAD"];
    private static readonly HashSet<string> BundleMembers = ["resourceType", "id", "meta", "implicitRules", "language", "identifier", "type", "timestamp", "total", "link", "entry", "signature"];
    private static readonly HashSet<string> EntryMembers = ["id", "extension", "modifierExtension", "link", "fullUrl", "resource", "search", "request", "response"];
    private static readonly HashSet<string> RequestMembers = ["id", "extension", "modifierExtension", "method", "url", "ifNoneMatch", "ifModifiedSince", "ifMatch", "ifNoneExist"];

    [GeneratedRegex(@"^(?<type>[A-Za-z]+)\?(?<query>.+)$")]
    private static partial Regex ConditionalReference();

    public async Task<FhirResult> ProcessAsync(FhirRequestContext ctx, byte[] body, CancellationToken ct)
    {
        var (kind, entries) = Parse(ctx, body);
        try
        {
            return kind == "transaction" ? await TransactionAsync(ctx, entries, ct) : await BatchAsync(ctx, entries, ct);
        }
        catch (FhirException e) when (kind == "transaction" && e.Expression?.StartsWith("Bundle", StringComparison.Ordinal) == true && !e.Data.Contains("audited"))
        {
            await store.Hub.Audit.AppendAsync(ctx.Audit("fhir.transaction", "Bundle", null, new Dictionary<string, string> { ["entries"] = entries.Count.ToString(CultureInfo.InvariantCulture) },
                AuditOutcome.Failed) with { Reason = $"{e.Status} {e.IssueCode}" }, ct);
            throw;
        }
    }

    private static (string Kind, List<EntryOperation> Entries) Parse(FhirRequestContext ctx, byte[] body)
    {
        var span = body.AsMemory();
        if (span.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) span = span[3..];
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(span, new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException e)
        {
            throw FhirException.BadRequest($"the body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("resourceType", out var rt) || rt.ValueKind != JsonValueKind.String)
                throw FhirException.BadRequest("the body is not a FHIR resource (no resourceType)");
            if (rt.GetString() != "Bundle")
                throw FhirException.BadRequest($"a POST to the tenant base takes a batch or transaction Bundle, not a {rt.GetString()}");
            foreach (var property in root.EnumerateObject())
                if (!BundleMembers.Contains(property.Name)) throw FhirException.BadRequest($"unknown element '{property.Name}' in the Bundle", $"Bundle.{property.Name}");
            var kind = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (kind is not ("batch" or "transaction"))
                throw FhirException.BadRequest($"a Bundle posted to the base must be of type batch or transaction, not '{kind ?? "(none)"}'", "Bundle.type");
            var entries = new List<EntryOperation>();
            if (root.TryGetProperty("entry", out var list))
            {
                if (list.ValueKind != JsonValueKind.Array) throw FhirException.BadRequest("Bundle.entry must be an array", "Bundle.entry");
                // Strict parsing is the costliest step of a large bundle: entries are parsed on every core.
                var elements = list.EnumerateArray().ToArray();
                var parsed = new EntryOperation[elements.Length];
                Parallel.For(0, elements.Length, i => parsed[i] = ParseEntry(ctx, elements[i], i));
                entries.AddRange(parsed);
            }
            return (kind!, entries);
        }
    }

    private static EntryOperation ParseEntry(FhirRequestContext ctx, JsonElement element, int index)
    {
        string? S(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var request = element.ValueKind == JsonValueKind.Object && element.TryGetProperty("request", out var r) ? r : default;
        var op = new EntryOperation
        {
            Index = index,
            FullUrl = S(element, "fullUrl"),
            Method = (S(request, "method") ?? "").ToUpperInvariant(),
            Url = S(request, "url") ?? "",
            IfMatch = S(request, "ifMatch"),
            IfNoneExist = S(request, "ifNoneExist"),
            IfNoneMatch = S(request, "ifNoneMatch"),
            IfModifiedSince = S(request, "ifModifiedSince"),
            PatchBody = PatchBody(element),
        };
        try
        {
            if (element.ValueKind != JsonValueKind.Object) throw FhirException.BadRequest("an entry must be a JSON object");
            foreach (var property in element.EnumerateObject())
                if (!EntryMembers.Contains(property.Name)) throw FhirException.BadRequest($"unknown element '{property.Name}' in the entry", property.Name);
            if (request.ValueKind != JsonValueKind.Object) throw FhirException.BadRequest("the entry has no request (method and url)", "request");
            foreach (var property in request.EnumerateObject())
                if (!RequestMembers.Contains(property.Name)) throw FhirException.BadRequest($"unknown element '{property.Name}' in the entry's request", $"request.{property.Name}");
            if (op.Method is not ("GET" or "HEAD" or "POST" or "PUT" or "DELETE" or "PATCH"))
                throw FhirException.BadRequest($"request.method '{S(request, "method")}' is not GET, HEAD, POST, PUT, DELETE or PATCH", "request.method");
            if (op.Url.Length == 0) throw FhirException.BadRequest("request.url is required", "request.url");
            op.ParseUrl(ctx.BaseUrl);
            if (element.TryGetProperty("resource", out var resource))
            {
                try
                {
                    op.Resource = FhirJson.Parse(resource);
                }
                catch (FhirException e)
                {
                    throw new FhirException(e.Status, e.IssueCode, e.Message, InResource(e.Expression))
                    {
                        MoreIssues = e.MoreIssues.Select(i => i with { Expression = InResource(i.Expression) }).ToList(),
                    };
                }
            }
            if (op.Method is "POST" or "PUT" && op.Resource is null) throw FhirException.BadRequest($"a {op.Method} entry needs a resource", "resource");
            if (op.Method == "PATCH" && op.Resource is not (Parameters or Binary))
                throw FhirException.BadRequest("a PATCH entry's resource is a FHIRPath Patch Parameters, or a Binary holding a JSON Patch", "resource");
        }
        catch (FhirException e)
        {
            op.Error = e;
        }
        return op;
    }

    /// <summary><c>Patient.identifier[0].system</c> in an entry is <c>resource.identifier[0].system</c>.</summary>
    private static string InResource(string? expression)
    {
        if (expression is null) return "resource";
        var dot = expression.IndexOf('.');
        return dot > 0 && char.IsUpper(expression[0]) ? $"resource{expression[dot..]}" : $"resource.{expression}";
    }

    private static byte[]? PatchBody(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("resource", out var resource) || resource.ValueKind != JsonValueKind.Object) return null;
        if (!resource.TryGetProperty("resourceType", out var type) || type.GetString() != "Binary") return null;
        return resource.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String ? Convert.FromBase64String(data.GetString()!) : null;
    }

    // ---- transaction ----

    private async Task<FhirResult> TransactionAsync(FhirRequestContext ctx, List<EntryOperation> entries, CancellationToken ct)
    {
        if (entries.FirstOrDefault(e => e.Error is not null) is { } invalid)
            throw invalid.Error!.InEntry(invalid.Index, invalid.FullUrl);
        CheckDuplicates(ctx, entries);

        // Ids of created resources are known before the transaction starts: references to them can be rewritten.
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var op in entries)
        {
            if (op.Method == "POST" && op.IfNoneExist is null) op.Id = Guid.NewGuid().ToString();
            if (op.FullUrl is not null && op.Id is not null && op.Method is "POST" or "PUT") map[op.FullUrl] = $"{op.Type}/{op.Id}";
        }
        PrepareOutsideTheLock(ctx, entries, map);

        return await store.RunWriteAsync(ctx, async s =>
        {
            foreach (var op in entries.Where(e => e.IsConditional && e.Method is "POST" or "PUT"))
            {
                try
                {
                    await ResolveConditionalAsync(s, op);
                }
                catch (FhirException e)
                {
                    throw Located(e, op);
                }
                if (op.FullUrl is not null && op.Id is not null) map[op.FullUrl] = $"{op.Type}/{op.Id}";
            }
            foreach (var op in entries.Where(e => e.Resource is not null && e.Method is "POST" or "PUT"))
            {
                try
                {
                    await RewriteReferencesAsync(s, op, map);
                }
                catch (FhirException e)
                {
                    throw Located(e, op);
                }
            }
            foreach (var method in Order)
                foreach (var op in entries.Where(e => e.Method == method))
                {
                    try
                    {
                        op.Result = op.IsWrite ? await Interactions.WriteAsync(s, op) : await ReadAsync(s, op);
                    }
                    catch (FhirException e)
                    {
                        throw Located(e, op);
                    }
                }
            s.Audit.Add(ctx.Audit("fhir.transaction", "Bundle", null, new Dictionary<string, string> { ["entries"] = entries.Count.ToString(CultureInfo.InvariantCulture) }));
            return Response(ctx, "transaction-response", entries);
        }, "fhir.transaction", "Bundle", ct);
    }

    /// <summary>
    /// When nothing in the bundle depends on the store's state (no conditional entry or reference), references are
    /// rewritten and the search index of each created resource is computed before taking the write lock, on every
    /// core: the lock is then held for serialization, sealing and the inserts only.
    /// </summary>
    private static void PrepareOutsideTheLock(FhirRequestContext ctx, List<EntryOperation> entries, Dictionary<string, string> map)
    {
        if (entries.Any(e => e.IsConditional)) return;
        var creates = entries.Where(e => e.Method == "POST" && e.Resource is not null and not Parameters and not Hl7.Fhir.Model.Subscription).ToList();
        foreach (var op in creates)
            if (References.All(op.Resource!).Any(r => r.Reference is { } v && ConditionalReference().IsMatch(v))) return;
        var failures = new System.Collections.Concurrent.ConcurrentBag<(EntryOperation Op, FhirException Error)>();
        Parallel.ForEach(creates, op =>
        {
            try
            {
                foreach (var reference in References.All(op.Resource!))
                    if (reference.Reference is { } value && map.TryGetValue(value, out var local)) reference.Reference = local;
                References.CheckTenant(op.Resource!, ctx);
                op.Resource!.Id = op.Id;
                op.PreparedIndex = IndexExtractor.Extract(op.Resource, ctx.Tenant.Hasher, ctx.Tenant.Tenant.NameSearch);
            }
            catch (FhirException e)
            {
                failures.Add((op, e));
            }
        });
        if (!failures.IsEmpty)
        {
            var (op, error) = failures.MinBy(f => f.Op.Index);
            throw error.InEntry(op.Index, op.FullUrl);
        }
    }

    private static FhirException Located(FhirException e, EntryOperation op)
    {
        var located = e.InEntry(op.Index, op.FullUrl);
        located.Data["audited"] = true;
        return located;
    }

    private static void CheckDuplicates(FhirRequestContext ctx, List<EntryOperation> entries)
    {
        var fullUrls = new HashSet<string>(StringComparer.Ordinal);
        var identities = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var op in entries)
        {
            if (!string.IsNullOrEmpty(op.FullUrl) && !fullUrls.Add(op.FullUrl))
                throw FhirException.BadRequest($"Bundle contains multiple entries with the same fullUrl '{op.FullUrl}'").InEntry(op.Index, op.FullUrl);
            if (!op.IsWrite) continue;
            var identity = op.Id is not null ? $"{op.Type}/{op.Id}"
                : op.Query is not null ? $"{op.Type}?{op.Query}"
                : op.IfNoneExist is not null ? $"{op.Type}?{op.IfNoneExist.TrimStart('?')}"
                : op.FullUrl is not null && ReferenceParts.Parse(Relative(ctx, op.FullUrl)) is { IsLocal: true } p ? $"{p.Type}/{p.Id}"
                : null;
            if (identity is null) continue;
            if (identities.TryGetValue(identity, out _))
                throw FhirException.BadRequest($"Bundle contains multiple entries that refer to the same resource '{identity}'").InEntry(op.Index, op.FullUrl);
            identities[identity] = op.Index;
        }
    }

    private static string Relative(FhirRequestContext ctx, string url) =>
        url.StartsWith(ctx.BaseUrl, StringComparison.Ordinal) ? url[ctx.BaseUrl.Length..] : url;

    private async Task ResolveConditionalAsync(WriteSession s, EntryOperation op)
    {
        var criteria = op.Method == "POST" ? op.IfNoneExistPairs() : op.QueryPairs();
        var matches = await Interactions.ConditionalMatchesAsync(s.Sql, s.Context, op.Type, criteria, store.Options);
        if (matches.Count > 1)
            throw FhirException.PreconditionFailed($"conditional {(op.Method == "POST" ? "create" : "update")} criteria match {matches.Count} or more {op.Type} resources");
        if (op.Method == "POST")
        {
            if (matches.Count == 1)
            {
                op.Id = matches[0].Id;
                op.MatchedExisting = true;
            }
            else op.Id = Guid.NewGuid().ToString();
            return;
        }
        var id = matches.Count == 1 ? matches[0].Id : op.Resource!.Id ?? Guid.NewGuid().ToString();
        if (matches.Count == 1 && op.Resource!.Id is not null && op.Resource.Id != id)
            throw FhirException.BadRequest($"the resource id '{op.Resource.Id}' differs from the id of the resource the criteria select", "id");
        op.Id = id;
        op.Resource!.Id = id;
    }

    private async Task RewriteReferencesAsync(WriteSession s, EntryOperation op, Dictionary<string, string> map)
    {
        foreach (var reference in References.All(op.Resource!))
        {
            var value = reference.Reference;
            if (string.IsNullOrEmpty(value)) continue;
            if (map.TryGetValue(value, out var local))
            {
                reference.Reference = local;
                continue;
            }
            var m = ConditionalReference().Match(value);
            if (!m.Success) continue;
            var type = m.Groups["type"].Value;
            if (!SearchParameterRegistry.IsKnownType(type))
                throw FhirException.BadRequest($"conditional reference '{value}': '{type}' is not a resource type");
            var matches = await Interactions.ConditionalMatchesAsync(s.Sql, s.Context, type, QueryString.Parse(m.Groups["query"].Value), store.Options);
            reference.Reference = matches.Count switch
            {
                1 => $"{type}/{matches[0].Id}",
                0 => throw FhirException.BadRequest($"Given conditional reference '{value}' does not resolve to a resource."),
                _ => throw FhirException.PreconditionFailed($"conditional reference '{value}' matches more than one resource"),
            };
        }
    }

    private async Task<FhirResult> ReadAsync(WriteSession s, EntryOperation op)
    {
        var query = op.QueryPairs().ToList();
        var (result, audit) = op.History
            ? await Interactions.HistoryAsync(s.Sql, s.Context, op.Type, op.Id, query, store.Options, s.Now)
            : op.Id is not null
                ? await Interactions.ReadAsync(s.Sql, s.Context, op, SearchParamsForRead.From(query))
                : await Interactions.SearchAsync(s.Sql, s.Context, op.Type, query, store.Options, s.Now);
        s.Audit.Add(audit);
        if (result.Status >= 400)
            throw new FhirException(result.Status, result.Status == 410 ? "deleted" : "processing", $"{op.Method} {op.Url} answered {result.Status}");
        return result;
    }

    // ---- batch ----

    private async Task<FhirResult> BatchAsync(FhirRequestContext ctx, List<EntryOperation> entries, CancellationToken ct)
    {
        foreach (var method in Order)
            foreach (var op in entries.Where(e => e.Method == method && e.Error is null))
            {
                try
                {
                    if (op.IsWrite)
                    {
                        op.Result = await store.RunWriteAsync(ctx, s => Interactions.WriteAsync(s, op), $"fhir.{op.Method.ToLowerInvariant()}", op.Identity ?? op.Type, ct);
                    }
                    else
                    {
                        var query = op.QueryPairs().ToList();
                        var now = store.Hub.Clock.GetUtcNow();
                        op.Result = await store.RunReadAsync(async sql => op.History
                            ? await Interactions.HistoryAsync(sql, ctx, op.Type, op.Id, query, store.Options, now)
                            : op.Id is not null
                                ? await Interactions.ReadAsync(sql, ctx, op, SearchParamsForRead.From(query))
                                : await Interactions.SearchAsync(sql, ctx, op.Type, query, store.Options, now), ct);
                    }
                }
                catch (FhirException e)
                {
                    op.Error = e;
                }
            }
        return Response(ctx, "batch-response", entries);
    }

    // ---- response ----

    private FhirResult Response(FhirRequestContext ctx, string type, List<EntryOperation> entries)
    {
        using var bundle = new BundleWriter(type, null, store.Hub.Clock.GetUtcNow());
        foreach (var op in entries)
        {
            if (op.Error is { } error)
            {
                bundle.Entry(null, default, response: new EntryResponse(StatusText(error.Status)), outcome: FhirResult.OperationOutcomeJson(error.Issues));
                continue;
            }
            var result = op.Result!;
            var location = result.Location is null ? null : Relative(ctx, result.Location);
            var fullUrl = op.Id is not null && op.Method is "POST" or "PUT" or "PATCH" ? ctx.FullUrl(op.Type, op.Id) : null;
            var body = result.Status == 410 ? null : result.Body;
            var outcome = result.Status >= 400 ? result.Body : null;
            bundle.Entry(fullUrl, body ?? default, response: new EntryResponse(StatusText(result.Status), location, result.ETag, result.LastModified), outcome: outcome);
        }
        return new FhirResult(200, bundle.Finish());
    }

    public static string StatusText(int status) => status switch
    {
        200 => "200 OK",
        201 => "201 Created",
        204 => "204 No Content",
        304 => "304 Not Modified",
        400 => "400 Bad Request",
        401 => "401 Unauthorized",
        403 => "403 Forbidden",
        404 => "404 Not Found",
        405 => "405 Method Not Allowed",
        409 => "409 Conflict",
        410 => "410 Gone",
        412 => "412 Precondition Failed",
        413 => "413 Payload Too Large",
        422 => "422 Unprocessable Entity",
        _ => status.ToString(CultureInfo.InvariantCulture),
    };
}
