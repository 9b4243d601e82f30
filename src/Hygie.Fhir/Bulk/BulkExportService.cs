using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hygie.Core.Audit;
using Hygie.Fhir.Rest;
using Hygie.Fhir.Search;
using Hygie.Fhir.Serialization;
using Hygie.Fhir.Storage;
using Hygie.Storage.Metadata;

namespace Hygie.Fhir.Bulk;

/// <summary>An export job as its requester sees it.</summary>
public sealed record ExportJob(string Id, string Tenant, string RequestedBy, string Kind, string Request, string? Types, long? Since, string? GroupId,
    string Status, string? TransactionTime, IReadOnlyList<ExportFile> Output, string? Error);

/// <summary>One NDJSON file of an export: a resource type, its line count, and the sealed object holding it.</summary>
public sealed record ExportFile(string Type, long Count, string Name);

/// <summary>
/// FHIR Bulk Data export (Bulk Data Access IG 2.0): system, Patient and Group level, <c>_type</c>, <c>_since</c>,
/// asynchronous kick-off → status → NDJSON files. The files are sealed objects under the tenant's data key, served only
/// to the token subject that requested them. <see cref="ReadResourcesAsync"/> gives a finished export's resources as a
/// stream of parsed resources, for the deposit pipeline (which pseudonymizes them into a research dataset).
/// </summary>
public sealed class BulkExportService(FhirStore store)
{
    private static readonly HashSet<string> Formats = ["application/fhir+ndjson", "application/ndjson", "ndjson"];

    public async Task<string> KickOffAsync(FhirRequestContext ctx, string kind, string? groupId, IEnumerable<KeyValuePair<string, string>> query,
        string requestUrl, CancellationToken ct = default)
    {
        string? types = null;
        long? since = null;
        foreach (var (key, value) in query)
        {
            switch (key)
            {
                case "_outputFormat":
                    if (!Formats.Contains(value)) throw FhirException.BadRequest($"_outputFormat '{value}' is not supported: use application/fhir+ndjson", "_outputFormat");
                    break;
                case "_type":
                    var list = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    foreach (var type in list)
                        if (!SearchParameterRegistry.IsKnownType(type)) throw FhirException.BadRequest($"_type: '{type}' is not a resource type", "_type");
                    types = string.Join(",", list.Distinct());
                    break;
                case "_since":
                    since = DateRange.TryParse(value, out var range) ? range.Low : throw FhirException.BadRequest($"_since must be an instant, not '{value}'", "_since");
                    break;
                case "_typeFilter" or "_elements" or "patient" or "includeAssociatedData":
                    throw FhirException.BadRequest($"export parameter '{key}' is not supported by this server", key);
                default:
                    if (ctx.StrictHandling) throw FhirException.BadRequest($"'{key}' is not an export parameter (Prefer: handling=strict)", key);
                    break;
            }
        }
        if (types is null) ctx.Caller.Scopes.Require("*", SmartAction.Read);
        else foreach (var type in types.Split(',')) ctx.Caller.Scopes.Require(type, SmartAction.Read);
        // The export's files are the tenant's data again, written to the hub's object store.
        await store.EnsurePlacementAllowedAsync($"exporting FHIR data of tenant {ctx.Tenant.Id}", ct);
        if (kind == "group")
        {
            await using var connection = await store.Hub.Metadata.OpenConnectionAsync(ct);
            await using var sql = new SqlSession(connection, null);
            var group = await ResourceRepository.FindAsync(sql, ctx.Tenant.Id, "Group", groupId!);
            if (group is null || group.Deleted) throw FhirException.NotFound($"Group/{groupId} is not known");
        }
        var id = Guid.NewGuid().ToString("N");
        var audit = ctx.Audit("fhir.export", $"$export/{id}", null, new Dictionary<string, string>
        {
            ["kind"] = kind, ["types"] = types ?? "*", ["group"] = groupId ?? "",
            ["since"] = since is null ? "" : DateTimeOffset.FromUnixTimeMilliseconds(since.Value).ToString("O"),
        });
        await store.Hub.Audit.CommitWithAsync([audit], async (connection, tx) =>
        {
            await using var cmd = connection.Command(
                "INSERT INTO fhir_exports (id, tenant, requested_by, kind, request, types, since, group_id, status, created_at) " +
                "VALUES (@id, @t, @by, @k, @r, @ty, @s, @g, 'queued', @c)", tx);
            cmd.AddParameter("id", id).AddParameter("t", ctx.Tenant.Id).AddParameter("by", ctx.Caller.Subject).AddParameter("k", kind)
               .AddParameter("r", requestUrl).AddParameter("ty", types).AddParameter("s", since).AddParameter("g", groupId)
               .AddParameter("c", store.Hub.Clock.GetUtcNow().ToString("O"));
            await cmd.ExecuteNonQueryAsync(ct);
            return 0;
        }, ct);
        store.OnExportRequested();
        return id;
    }

    /// <summary>The job, if it exists and belongs to this caller (anyone else is told it does not exist).</summary>
    public async Task<ExportJob> GetAsync(FhirRequestContext ctx, string id, CancellationToken ct = default)
    {
        var job = await FindAsync(id, ct);
        if (job is null || job.Tenant != ctx.Tenant.Id || job.RequestedBy != ctx.Caller.Subject)
            throw FhirException.NotFound($"there is no export job '{id}' of yours");
        return job;
    }

    public async Task<ExportJob?> FindAsync(string id, CancellationToken ct = default)
    {
        await using var connection = await store.Hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = connection.Command(
            "SELECT id, tenant, requested_by, kind, request, types, since, group_id, status, transaction_time, output, error FROM fhir_exports WHERE id = @id");
        cmd.AddParameter("id", id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var output = r.IsDBNull(10) ? [] : JsonSerializer.Deserialize<List<ExportFile>>(r.GetString(10), JsonSerializerOptions.Web) ?? [];
        return new ExportJob(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetNullableString(5),
            r.IsDBNull(6) ? null : Convert.ToInt64(r.GetValue(6)), r.GetNullableString(7), r.GetString(8), r.GetNullableString(9), output, r.GetNullableString(11));
    }

    /// <summary>The completion manifest (Bulk Data IG) of a finished job; file URLs under <paramref name="baseUrl"/>.</summary>
    public static byte[] Manifest(ExportJob job, string baseUrl)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, FhirJson.WriterOptions with { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("transactionTime", job.TransactionTime);
            w.WriteString("request", job.Request);
            w.WriteBoolean("requiresAccessToken", true);
            w.WriteStartArray("output");
            foreach (var file in job.Output)
            {
                w.WriteStartObject();
                w.WriteString("type", file.Type);
                w.WriteString("url", $"{baseUrl}$export-file/{job.Id}/{file.Name}");
                w.WriteNumber("count", file.Count);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("error");
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Cancels a job (or deletes a finished one) and its files.</summary>
    public async Task DeleteAsync(FhirRequestContext ctx, string id, CancellationToken ct = default)
    {
        var job = await GetAsync(ctx, id, ct);
        foreach (var file in job.Output)
            await store.Hub.Objects.DeleteAsync(ObjectId(job, file.Type), ct);
        await store.Hub.Audit.CommitWithAsync([ctx.Audit("fhir.export.delete", $"$export/{id}", null)], async (connection, tx) =>
        {
            await using var cmd = connection.Command("UPDATE fhir_exports SET status = 'deleted', output = NULL WHERE id = @id", tx);
            cmd.AddParameter("id", id);
            await cmd.ExecuteNonQueryAsync(ct);
            return 0;
        }, ct);
    }

    /// <summary>Opens one output file (unsealing as it is read) and audits who took it.</summary>
    public async Task<(Stream Content, ExportFile File)> OpenFileAsync(FhirRequestContext ctx, string id, string name, CancellationToken ct = default)
    {
        var job = await GetAsync(ctx, id, ct);
        if (job.Status != "completed") throw FhirException.NotFound($"export {id} is not complete");
        var file = job.Output.FirstOrDefault(f => f.Name == name) ?? throw FhirException.NotFound($"export {id} has no file '{name}'");
        ctx.Caller.Scopes.Require(file.Type, SmartAction.Read);
        var stream = await store.Hub.Sealed.OpenReadAsync(ObjectId(job, file.Type), ct);
        await store.Hub.Audit.AppendAsync(ctx.Audit("fhir.export.download", $"$export/{id}/{name}", null, new Dictionary<string, string>
        {
            ["type"] = file.Type, ["count"] = file.Count.ToString(CultureInfo.InvariantCulture),
        }), ct);
        return (stream, file);
    }

    private static string ObjectId(ExportJob job, string type) => $"fhir-export/{job.Tenant}/{job.Id}/{type.ToLowerInvariant()}.ndjson";

    /// <summary>Runs every queued job (the export worker calls this when woken); returns how many ran.</summary>
    public async Task<int> RunQueuedAsync(CancellationToken ct = default)
    {
        var ran = 0;
        while (true)
        {
            string? id;
            await using (var connection = await store.Hub.Metadata.OpenConnectionAsync(ct))
            await using (var cmd = connection.Command("SELECT id FROM fhir_exports WHERE status = 'queued' ORDER BY created_at LIMIT 1"))
                id = await cmd.ExecuteScalarAsync(ct) as string;
            if (id is null) return ran;
            await RunAsync(id, ct);
            ran++;
        }
    }

    /// <summary>Writes a job's NDJSON files (one per type with data), sealed, and records the manifest.</summary>
    public async Task RunAsync(string id, CancellationToken ct = default)
    {
        var job = await FindAsync(id, ct) ?? throw FhirException.NotFound($"there is no export job '{id}'");
        if (job.Status != "queued" || !await ClaimAsync(id, ct)) return;
        try
        {
            await store.EnsurePlacementAllowedAsync($"exporting FHIR data of tenant {job.Tenant}", ct);
            var tenant = await store.OpenTenantAsync(job.Tenant, ct);
            var transactionTime = store.Hub.Clock.GetUtcNow();
            var upTo = transactionTime.ToUnixTimeMilliseconds();
            var output = new List<ExportFile>();
            var patients = new HashSet<string>(StringComparer.Ordinal);
            await using var connection = await store.Hub.Metadata.OpenConnectionAsync(ct);
            await using var sql = new SqlSession(connection, null);
            List<string> types;
            if (job.Types is not null) types = [.. job.Types.Split(',')];
            else
            {
                types = [];
                await using var reader = await sql.ReaderAsync("SELECT DISTINCT type FROM fhir_resources WHERE tenant = @p0 AND deleted = 0 ORDER BY type", job.Tenant);
                while (await reader.ReadAsync()) types.Add(reader.GetString(0));
            }
            HashSet<string>? members = null;
            if (job.Kind == "group") members = await GroupMembersAsync(sql, tenant, job.GroupId!);
            foreach (var type in types)
            {
                var (where, args) = Filter(job, type, members, upTo);
                var count = Convert.ToInt64(await sql.ScalarAsync($"SELECT COUNT(*) FROM fhir_resources r WHERE {where}", args));
                if (count == 0) continue;
                long written = 0;
                await store.Hub.Sealed.WriteAsync(ObjectId(job, type), tenant.Tenant.DataKeyId, async (stream, token) =>
                {
                    await using var reader = await sql.ReaderAsync(
                        $"SELECT r.id, r.version, v.body, r.patient FROM fhir_resources r JOIN fhir_versions v ON v.rid = r.rid AND v.version = r.version WHERE {where} ORDER BY r.rid", args);
                    while (await reader.ReadAsync(token))
                    {
                        var json = tenant.Open((byte[])reader.GetValue(2), type, reader.GetString(0), Convert.ToInt32(reader.GetValue(1)));
                        await stream.WriteAsync(json, token);
                        stream.WriteByte((byte)'\n');
                        if (!reader.IsDBNull(3)) patients.Add(reader.GetString(3));
                        written++;
                    }
                }, ct);
                output.Add(new ExportFile(type, written, $"{type}.ndjson"));
            }
            var details = new Dictionary<string, string>
            {
                ["tenant"] = job.Tenant,
                ["files"] = string.Join(",", output.Select(f => $"{f.Type}:{f.Count}")),
                ["patients"] = patients.Count <= 1000 ? string.Join(",", patients.Order().Select(p => $"Patient/{p}")) : $"{patients.Count} patients",
            };
            await store.Hub.Audit.CommitWithAsync([new AuditEntry(job.RequestedBy, "fhir.export.run", $"fhir:{job.Tenant}/$export/{id}", Details: details)],
                async (c, tx) =>
                {
                    await using var cmd = c.Command("UPDATE fhir_exports SET status = 'completed', transaction_time = @tt, output = @o, completed_at = @c WHERE id = @id", tx);
                    cmd.AddParameter("tt", transactionTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))
                       .AddParameter("o", JsonSerializer.Serialize(output, JsonSerializerOptions.Web))
                       .AddParameter("c", store.Hub.Clock.GetUtcNow().ToString("O")).AddParameter("id", id);
                    await cmd.ExecuteNonQueryAsync(ct);
                    return 0;
                }, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await SetStatusAsync(id, "failed", e is FhirException or Hygie.Core.Errors.HygieException ? e.Message : $"the export failed ({e.GetType().Name})", ct);
        }
    }

    private static (string Where, object?[] Args) Filter(ExportJob job, string type, HashSet<string>? members, long upTo)
    {
        var args = new List<object?> { job.Tenant, type, upTo };
        var where = "r.tenant = @p0 AND r.type = @p1 AND r.deleted = 0 AND r.last_updated <= @p2";
        if (job.Since is not null)
        {
            where += $" AND r.last_updated >= @p{args.Count}";
            args.Add(job.Since.Value);
        }
        if (job.Kind == "patient")
            where += " AND (r.patient IS NOT NULL)";
        else if (job.Kind == "group")
        {
            if (members!.Count == 0) return ("1 = 0", []);
            var list = string.Join(", ", members.Select(m => { args.Add(m); return $"@p{args.Count - 1}"; }));
            where += $" AND r.patient IN ({list})";
        }
        return (where, args.ToArray());
    }

    private static async Task<HashSet<string>> GroupMembersAsync(SqlSession sql, Tenants.TenantContext tenant, string groupId)
    {
        var stored = await ResourceRepository.ReadAsync(sql, tenant, "Group", groupId);
        if (stored?.Json is null) throw FhirException.NotFound($"Group/{groupId} is not known");
        var group = FhirJson.Parse<Group>(stored.Json);
        return group.Member.Select(m => ReferenceParts.Parse(m.Entity?.Reference)).Where(p => p is { IsLocal: true, Type: "Patient" })
            .Select(p => p!.Value.Id!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Moves a queued job to running, atomically: of two runners (the worker and a direct call), one wins.</summary>
    private async Task<bool> ClaimAsync(string id, CancellationToken ct)
    {
        await using var connection = await store.Hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = connection.Command("UPDATE fhir_exports SET status = 'running', error = NULL WHERE id = @id AND status = 'queued'");
        cmd.AddParameter("id", id);
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    private async Task SetStatusAsync(string id, string status, string? error, CancellationToken ct)
    {
        await using var connection = await store.Hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = connection.Command("UPDATE fhir_exports SET status = @s, error = @e WHERE id = @id");
        cmd.AddParameter("s", status).AddParameter("e", error).AddParameter("id", id);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Every resource of a completed export, parsed, file by file: what the deposit pipeline consumes to make a
    /// pseudonymized research dataset of a tenant's data. Audited as a read by <paramref name="actor"/>.
    /// </summary>
    public async IAsyncEnumerable<Resource> ReadResourcesAsync(string jobId, string actor, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var job = await FindAsync(jobId, ct) ?? throw FhirException.NotFound($"there is no export job '{jobId}'");
        if (job.Status != "completed") throw FhirException.Conflict($"export {jobId} is {job.Status}, not completed");
        await store.Hub.Audit.AppendAsync(new AuditEntry(actor, "fhir.export.read", $"fhir:{job.Tenant}/$export/{jobId}",
            Details: new Dictionary<string, string> { ["tenant"] = job.Tenant, ["files"] = string.Join(",", job.Output.Select(f => $"{f.Type}:{f.Count}")) }), ct);
        foreach (var file in job.Output)
        {
            await using var stream = await store.Hub.Sealed.OpenReadAsync(ObjectId(job, file.Type), ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(ct) is { } line)
                if (line.Length > 0) yield return FhirJson.Parse(Encoding.UTF8.GetBytes(line));
        }
    }
}
