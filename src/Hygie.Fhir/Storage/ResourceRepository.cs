using Hl7.Fhir.Model;
using Hygie.Fhir.Search;
using Hygie.Fhir.Serialization;
using Hygie.Fhir.Tenants;

namespace Hygie.Fhir.Storage;

/// <summary>The current state of a resource's row (no body).</summary>
public sealed record CurrentRow(long Rid, string Type, string Id, int Version, bool Deleted, long LastUpdated, string? Patient);

/// <summary>One stored version, opened: its JSON is null for a deletion.</summary>
public sealed record StoredVersion(long Rid, string Type, string Id, int Version, bool Deleted, DateTimeOffset LastUpdated, string Method, byte[]? Json, string? Patient)
{
    public string VersionTag => $"W/\"{Version}\"";
}

/// <summary>What a write left: the version written, its JSON and who it concerns.</summary>
public sealed record WrittenVersion(long Rid, string Type, string Id, int Version, DateTimeOffset LastUpdated, bool Created, bool Deleted, byte[]? Json, string? Patient, Resource? Resource);

/// <summary>Rows of resources, versions and index entries: what every interaction reads and writes.</summary>
public static class ResourceRepository
{
    public static async Task<CurrentRow?> FindAsync(SqlSession s, string tenant, string type, string id)
    {
        await using var r = await s.ReaderAsync(
            "SELECT rid, version, deleted, last_updated, patient FROM fhir_resources WHERE tenant = @p0 AND type = @p1 AND id = @p2", tenant, type, id);
        if (!await r.ReadAsync()) return null;
        return new CurrentRow(Convert.ToInt64(r.GetValue(0)), type, id, Convert.ToInt32(r.GetValue(1)), Convert.ToInt64(r.GetValue(2)) != 0,
            Convert.ToInt64(r.GetValue(3)), r.IsDBNull(4) ? null : r.GetString(4));
    }

    /// <summary>A version (the current one when <paramref name="version"/> is null), opened; null when it never existed.</summary>
    public static async Task<StoredVersion?> ReadAsync(SqlSession s, TenantContext t, string type, string id, int? version = null)
    {
        var sql = version is null
            ? "SELECT r.rid, v.version, v.last_updated, v.method, v.body, r.patient FROM fhir_resources r JOIN fhir_versions v ON v.rid = r.rid AND v.version = r.version WHERE r.tenant = @p0 AND r.type = @p1 AND r.id = @p2"
            : "SELECT r.rid, v.version, v.last_updated, v.method, v.body, r.patient FROM fhir_resources r JOIN fhir_versions v ON v.rid = r.rid AND v.version = @p3 WHERE r.tenant = @p0 AND r.type = @p1 AND r.id = @p2";
        await using var r = version is null ? await s.ReaderAsync(sql, t.Id, type, id) : await s.ReaderAsync(sql, t.Id, type, id, version.Value);
        if (!await r.ReadAsync()) return null;
        return Open(t, type, id, Convert.ToInt64(r.GetValue(0)), Convert.ToInt32(r.GetValue(1)), Convert.ToInt64(r.GetValue(2)), r.GetString(3),
            r.IsDBNull(4) ? null : (byte[])r.GetValue(4), r.IsDBNull(5) ? null : r.GetString(5));
    }

    internal static StoredVersion Open(TenantContext t, string type, string id, long rid, int version, long lastUpdated, string method, byte[]? body, string? patient) =>
        new(rid, type, id, version, body is null, DateTimeOffset.FromUnixTimeMilliseconds(lastUpdated), method,
            body is null ? null : t.Open(body, type, id, version), patient);

    /// <summary>
    /// Writes a new version of <paramref name="resource"/> (its id set) after <paramref name="current"/>: sets
    /// <c>meta.versionId</c> and <c>meta.lastUpdated</c>, seals the JSON, and replaces the search index rows.
    /// </summary>
    public static async Task<WrittenVersion> WriteAsync(SqlSession s, TenantContext t, Resource resource, CurrentRow? current, string method,
        DateTimeOffset now, ResourceIndex? index = null)
    {
        var type = resource.TypeName;
        var id = resource.Id ?? throw new InvalidOperationException("a resource is written with its id set");
        var version = (current?.Version ?? 0) + 1;
        var lastUpdated = DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = lastUpdated;
        var json = FhirJson.Serialize(resource);
        var body = t.Seal(json, type, id, version);
        index ??= IndexExtractor.Extract(resource, t.Hasher, t.Tenant.NameSearch);
        var ms = lastUpdated.ToUnixTimeMilliseconds();

        long rid;
        if (current is null)
        {
            rid = Convert.ToInt64(await s.ScalarAsync(
                "INSERT INTO fhir_resources (tenant, type, id, version, deleted, last_updated, patient) VALUES (@p0, @p1, @p2, @p3, 0, @p4, @p5) RETURNING rid",
                t.Id, type, id, version, ms, index.Patient));
        }
        else
        {
            rid = current.Rid;
            await s.ExecuteAsync("UPDATE fhir_resources SET version = @p0, deleted = 0, last_updated = @p1, patient = @p2 WHERE rid = @p3",
                version, ms, index.Patient, rid);
            await ClearIndexAsync(s, rid);
        }
        await s.ExecuteAsync("INSERT INTO fhir_versions (rid, version, tenant, type, last_updated, method, body) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6)",
            rid, version, t.Id, type, ms, method, body);
        await WriteIndexAsync(s, rid, index);
        return new WrittenVersion(rid, type, id, version, lastUpdated, current is null || current.Deleted, false, json, index.Patient, resource);
    }

    /// <summary>Records a deletion as a new version without a body and drops the resource's index rows.</summary>
    public static async Task<WrittenVersion> DeleteAsync(SqlSession s, TenantContext t, CurrentRow current, DateTimeOffset now)
    {
        var version = current.Version + 1;
        var ms = now.ToUnixTimeMilliseconds();
        await s.ExecuteAsync("UPDATE fhir_resources SET version = @p0, deleted = 1, last_updated = @p1 WHERE rid = @p2", version, ms, current.Rid);
        await s.ExecuteAsync("INSERT INTO fhir_versions (rid, version, tenant, type, last_updated, method, body) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6)",
            current.Rid, version, t.Id, current.Type, ms, "DELETE", null);
        await ClearIndexAsync(s, current.Rid);
        return new WrittenVersion(current.Rid, current.Type, current.Id, version, DateTimeOffset.FromUnixTimeMilliseconds(ms), false, true, null, current.Patient, null);
    }

    private static readonly string[] IndexTables = ["fhir_ix_token", "fhir_ix_string", "fhir_ix_date", "fhir_ix_number", "fhir_ix_ref", "fhir_ix_composite"];

    private static async Task ClearIndexAsync(SqlSession s, long rid)
    {
        foreach (var table in IndexTables) await s.ExecuteAsync($"DELETE FROM {table} WHERE rid = @p0", rid);
    }

    private static async Task WriteIndexAsync(SqlSession s, long rid, ResourceIndex index)
    {
        foreach (var (p, sys, code) in index.Tokens.Distinct())
            await s.ExecuteAsync("INSERT INTO fhir_ix_token (rid, p, sys, code) VALUES (@p0, @p1, @p2, @p3)", rid, p, sys, code);
        foreach (var (p, v, ex) in index.Strings.Distinct())
            await s.ExecuteAsync("INSERT INTO fhir_ix_string (rid, p, v, ex) VALUES (@p0, @p1, @p2, @p3)", rid, p, v, ex);
        foreach (var (p, lo, hi) in index.Dates.Distinct())
            await s.ExecuteAsync("INSERT INTO fhir_ix_date (rid, p, lo, hi) VALUES (@p0, @p1, @p2, @p3)", rid, p, lo, hi);
        foreach (var (p, v, sys, code) in index.Numbers.Distinct())
            await s.ExecuteAsync("INSERT INTO fhir_ix_number (rid, p, v, sys, code) VALUES (@p0, @p1, @p2, @p3, @p4)", rid, p, v, sys, code);
        foreach (var (p, type, id, url) in index.References.Distinct())
            await s.ExecuteAsync("INSERT INTO fhir_ix_ref (rid, p, ttype, tid, url) VALUES (@p0, @p1, @p2, @p3, @p4)", rid, p, type, id, url);
        foreach (var c in index.Composites.Distinct())
            await s.ExecuteAsync(
                "INSERT INTO fhir_ix_composite (rid, p, sys1, code1, num, sys2, code2, lo, hi, str) VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9)",
                rid, c.P, c.Sys1, c.Code1, c.Num, c.Sys2, c.Code2, c.Lo, c.Hi, c.Str);
    }

    /// <summary>History rows, newest first: one resource, one type, or the whole tenant.</summary>
    public static async Task<(List<StoredVersion> Page, long Total)> HistoryAsync(SqlSession s, TenantContext t, string? type, string? id,
        long? since, int count, int offset)
    {
        var where = "v.tenant = @p0";
        var args = new List<object?> { t.Id };
        if (type is not null) { where += $" AND v.type = @p{args.Count}"; args.Add(type); }
        if (id is not null) { where += $" AND r.id = @p{args.Count}"; args.Add(id); }
        if (since is not null) { where += $" AND v.last_updated >= @p{args.Count}"; args.Add(since.Value); }
        var from = $"FROM fhir_versions v JOIN fhir_resources r ON r.rid = v.rid WHERE {where}";
        var total = Convert.ToInt64(await s.ScalarAsync($"SELECT COUNT(*) {from}", args.ToArray()));
        var pageArgs = args.Concat([count, offset]).ToArray();
        await using var reader = await s.ReaderAsync(
            $"SELECT r.rid, r.type, r.id, v.version, v.last_updated, v.method, v.body, r.patient {from} ORDER BY v.last_updated DESC, v.rid DESC, v.version DESC LIMIT @p{args.Count} OFFSET @p{args.Count + 1}",
            pageArgs);
        var page = new List<StoredVersion>();
        while (await reader.ReadAsync())
            page.Add(Open(t, reader.GetString(1), reader.GetString(2), Convert.ToInt64(reader.GetValue(0)), Convert.ToInt32(reader.GetValue(3)),
                Convert.ToInt64(reader.GetValue(4)), reader.GetString(5), reader.IsDBNull(6) ? null : (byte[])reader.GetValue(6),
                reader.IsDBNull(7) ? null : reader.GetString(7)));
        return (page, total);
    }
}
