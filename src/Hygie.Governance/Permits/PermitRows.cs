using System.Data.Common;
using Hygie.Storage.Metadata;

namespace Hygie.Governance.Permits;

/// <summary>Reads permits with their members and granted columns.</summary>
internal static class PermitRows
{
    private const string Select =
        "SELECT id, project_id, application_version, valid_from, valid_to, data_from, data_to, issued_at, issued_by, ended_at, end_kind, ended_by, end_reason FROM gov_permits";

    /// <summary>The project's latest permit (the one issued for its highest approved version), or null.</summary>
    public static async Task<Permit?> LatestAsync(DbConnection c, DbTransaction? tx, string projectId, DateTimeOffset now, CancellationToken ct)
    {
        var list = await ReadAsync(c, tx, $"{Select} WHERE project_id = @p ORDER BY application_version DESC LIMIT 1", cmd => cmd.AddParameter("p", projectId), now, ct);
        return list.Count == 0 ? null : list[0];
    }

    /// <summary>Every permit not ended by revocation, supersession or closure (the window is checked by the caller).</summary>
    public static Task<List<Permit>> UnendedAsync(DbConnection c, DateTimeOffset now, CancellationToken ct) =>
        ReadAsync(c, null, $"{Select} WHERE ended_at IS NULL ORDER BY project_id", _ => { }, now, ct);

    private static async Task<List<Permit>> ReadAsync(DbConnection c, DbTransaction? tx, string sql, Action<DbCommand> bind, DateTimeOffset now, CancellationToken ct)
    {
        var rows = new List<(string Id, string Project, int Version, DateTimeOffset From, DateTimeOffset To, DateOnly DFrom, DateOnly DTo,
            DateTimeOffset Issued, string IssuedBy, DateTimeOffset? Ended, string? EndKind, string? EndedBy, string? EndReason)>();
        await using (var cmd = c.Command(sql, tx))
        {
            bind(cmd);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                rows.Add((r.GetString(0), r.GetString(1), (int)r.GetInt64Value(2), Time.Parse(r.GetString(3)), Time.Parse(r.GetString(4)),
                    Time.ParseDate(r.GetString(5)), Time.ParseDate(r.GetString(6)), Time.Parse(r.GetString(7)), r.GetString(8),
                    Time.ParseNullable(r.GetNullableString(9)), r.GetNullableString(10), r.GetNullableString(11), r.GetNullableString(12)));
        }
        var permits = new List<Permit>(rows.Count);
        foreach (var p in rows)
        {
            var members = new List<string>();
            await using (var cmd = c.Command("SELECT member FROM gov_permit_members WHERE permit_id = @id ORDER BY member", tx))
            {
                cmd.AddParameter("id", p.Id);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) members.Add(r.GetString(0));
            }
            var tables = new List<GrantedTable>();
            await using (var cmd = c.Command(
                "SELECT dataset, table_name, column_name FROM gov_permit_columns WHERE permit_id = @id ORDER BY dataset, table_name, column_name", tx))
            {
                cmd.AddParameter("id", p.Id);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                var columns = new List<(string D, string T, string C)>();
                while (await r.ReadAsync(ct)) columns.Add((r.GetString(0), r.GetString(1), r.GetString(2)));
                tables.AddRange(columns.GroupBy(x => (x.D, x.T)).Select(g => new GrantedTable(g.Key.D, g.Key.T, g.Select(x => x.C).ToList())));
            }
            permits.Add(new Permit(p.Id, p.Project, p.Version, p.From, p.To, p.DFrom, p.DTo, members, tables, p.Issued, p.IssuedBy,
                p.Ended, p.EndKind, p.EndedBy, p.EndReason, Permit.StateAt(p.From, p.To, p.EndKind, now)));
        }
        return permits;
    }
}
