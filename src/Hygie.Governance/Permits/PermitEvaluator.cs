using System.Text.Json;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Governance.Projects;
using Hygie.Storage.Metadata;

namespace Hygie.Governance.Permits;

/// <summary>
/// The one place that says whether a person may read a project's data now. Analysis calls it at every access; it
/// reads the permit from the metadata store each time (nothing is cached, so a permit is never honoured past its end,
/// its revocation or the project's closure). A refusal is an <see cref="AccessDeniedException"/> whose code and
/// message name the rule (never the data), and is audited with that reason.
/// </summary>
public sealed class PermitEvaluator(Storage.Hub.Hub hub)
{
    /// <summary>
    /// Checks that <paramref name="subject"/> may read <paramref name="columns"/> of <paramref name="table"/> in
    /// <paramref name="dataset"/> for <paramref name="project"/> at <paramref name="now"/> (pass the hub's clock).
    /// An empty <paramref name="columns"/> checks the table alone. Returns the grant the access rests on.
    /// </summary>
    /// <exception cref="AccessDeniedException">with <see cref="HygieException.Code"/> one of <see cref="PermitRules"/>.</exception>
    public async Task<PermitGrant> CheckAsync(string subject, string project, string dataset, string table,
        IReadOnlyCollection<string> columns, DateTimeOffset now, CancellationToken ct = default)
    {
        var grant = await CheckProjectAsync(subject, project, now, $"{dataset}.{table}", ct);
        var permit = grant.Permit;
        if (!permit.Tables.Any(t => string.Equals(t.Dataset, dataset, StringComparison.OrdinalIgnoreCase)))
            await DenyAsync(subject, project, PermitRules.DatasetNotGranted, $"dataset {dataset} is not granted by permit {permit.Id}", $"{dataset}.{table}");
        var granted = permit.Table(dataset, table);
        if (granted is null)
            await DenyAsync(subject, project, PermitRules.TableNotGranted, $"table {table} of dataset {dataset} is not granted by permit {permit.Id}", $"{dataset}.{table}");
        foreach (var column in columns)
            if (!granted!.Columns.Contains(column, StringComparer.OrdinalIgnoreCase))
                await DenyAsync(subject, project, PermitRules.ColumnNotGranted,
                    $"column {column} of table {granted.Table} is not granted by permit {permit.Id}", $"{dataset}.{table}");
        return grant;
    }

    /// <summary>
    /// Checks membership and the permit's state and window, without a table: for building a workspace from
    /// <see cref="PermitGrant.Permit"/>'s tables and columns, or for listing them.
    /// </summary>
    public Task<PermitGrant> CheckProjectAsync(string subject, string project, DateTimeOffset now, CancellationToken ct = default) =>
        CheckProjectAsync(subject, project, now, null, ct);

    private async Task<PermitGrant> CheckProjectAsync(string subject, string project, DateTimeOffset now, string? target, CancellationToken ct)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        string? status = null, keyId = null;
        await using (var cmd = c.Command("SELECT status, key_id FROM gov_projects WHERE id = @id"))
        {
            cmd.AddParameter("id", project);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (await r.ReadAsync(ct)) { status = r.GetString(0); keyId = r.GetNullableString(1); }
        }
        if (status is null)
            await DenyAsync(subject, project, PermitRules.NoPermit, $"project {project} has no permit", target);
        if (status == ProjectStatus.Closed)
            await DenyAsync(subject, project, PermitRules.ProjectClosed, $"project {project} is closed", target);
        var permit = await PermitRows.LatestAsync(c, null, project, now, ct);
        if (permit is null || keyId is null)
            await DenyAsync(subject, project, PermitRules.NoPermit, $"project {project} has no approved permit", target);
        if (!permit!.Members.Contains(subject, StringComparer.Ordinal))
            await DenyAsync(subject, project, PermitRules.MemberNotOnPermit, $"{subject} is not a member on permit {permit.Id} of project {project}", target);
        switch (permit.State)
        {
            case PermitStates.Revoked:
                await DenyAsync(subject, project, PermitRules.Revoked, $"permit {permit.Id} was revoked on {permit.Ended:yyyy-MM-dd}", target);
                break;
            case PermitStates.Closed:
                await DenyAsync(subject, project, PermitRules.ProjectClosed, $"project {project} is closed", target);
                break;
            case PermitStates.NotStarted:
                await DenyAsync(subject, project, PermitRules.OutsideWindow, $"permit {permit.Id} opens on {permit.ValidFrom:yyyy-MM-dd HH:mm} UTC", target);
                break;
            case PermitStates.Expired:
            case PermitStates.Superseded:
                await DenyAsync(subject, project, PermitRules.OutsideWindow, $"permit {permit.Id} ended on {permit.ValidTo:yyyy-MM-dd HH:mm} UTC", target);
                break;
        }
        var application = await ApplicationOfAsync(c, project, permit.ApplicationVersion, ct);
        return new PermitGrant(project, permit, keyId!, !(application.LegalBasis?.ObjectionExempt ?? false));
    }

    private static async Task<ProjectApplication> ApplicationOfAsync(System.Data.Common.DbConnection c, string project, int version, CancellationToken ct)
    {
        await using var cmd = c.Command("SELECT body FROM gov_applications WHERE project_id = @p AND version = @v");
        cmd.AddParameter("p", project).AddParameter("v", version);
        var body = (string)(await cmd.ExecuteScalarAsync(ct))!;
        return JsonSerializer.Deserialize<ProjectApplication>(body, ProjectRegistry.Json)!;
    }

    private async Task DenyAsync(string subject, string project, string rule, string why, string? target)
    {
        var message = $"permit rule {rule}: {why}";
        await hub.Audit.AppendAsync(new AuditEntry(subject, "permit.check", $"project/{project}", AuditOutcome.Refused, message,
            new Dictionary<string, string> { ["rule"] = rule, ["resource"] = target ?? "" }), CancellationToken.None);
        var e = new AccessDeniedException(message, rule);
        e.Extensions["rule"] = rule;
        throw e;
    }
}

/// <summary>What an allowed access rests on: the permit in force, the project key to re-key persons, and whether citizens' objections apply.</summary>
/// <param name="ObjectionApplies">false only for a legal basis exempt from objection (a permanent State access).</param>
public sealed record PermitGrant(string Project, Permit Permit, string ProjectKeyId, bool ObjectionApplies);

/// <summary>The rules a refusal names; each is also the problem type (<c>urn:hygie:problem:&lt;rule&gt;</c>).</summary>
public static class PermitRules
{
    public const string NoPermit = "no-permit";
    public const string ProjectClosed = "project-closed";
    public const string MemberNotOnPermit = "member-not-on-permit";
    public const string Revoked = "permit-revoked";
    public const string OutsideWindow = "outside-permit-window";
    public const string DatasetNotGranted = "dataset-not-granted";
    public const string TableNotGranted = "table-not-granted";
    public const string ColumnNotGranted = "column-not-granted";
}
