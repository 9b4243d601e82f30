using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Core.Identity;
using Hygie.Governance.Permits;
using Hygie.Storage.Metadata;

namespace Hygie.Governance.Projects;

/// <summary>
/// Research projects from application to closure: draft → submitted → changes requested / refused / approved, the
/// same review for amendments, revocation, closure (the project key is destroyed) and publication of results. Every
/// change is committed together with its audit event; every refusal is audited with its reason.
/// </summary>
public sealed class ProjectRegistry(Storage.Hub.Hub hub, ApplicationValidator validator)
{
    /// <summary>Results must be published within this time after closure, or the project is flagged.</summary>
    public const int PublicationDeadlineMonths = 18;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private DateTimeOffset Now => hub.Clock.GetUtcNow();

    // ---- applicant ----

    public async Task<Project> ApplyAsync(Actor actor, ProjectApplication? application, CancellationToken ct = default)
    {
        var id = application?.Id ?? $"prj-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        return await ChangeAsync(actor, "project.apply", id, null, null, async () =>
        {
            Require(actor, Roles.Researcher);
            var valid = await validator.ValidateAsync(application, ct) with { Id = id };
            return async (c, tx) =>
            {
                await using (var exists = c.Command("SELECT COUNT(*) FROM gov_projects WHERE id = @id", tx))
                {
                    exists.AddParameter("id", id);
                    if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct)) > 0)
                        throw new ConflictException($"project {id} already exists: choose another id", "project-exists");
                }
                var now = Time.Format(Now);
                await using (var cmd = c.Command(
                    "INSERT INTO gov_projects (id, author, status, created_at, updated_at) VALUES (@id, @a, @s, @t, @t)", tx))
                {
                    cmd.AddParameter("id", id).AddParameter("a", actor.Name).AddParameter("s", ProjectStatus.Draft).AddParameter("t", now);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await InsertVersionAsync(c, tx, id, 1, valid, actor.Name, ct);
            };
        }, ct);
    }

    /// <summary>
    /// Changes the application: a draft or a version returned for changes is replaced; an approved project gets a new
    /// version (an amendment) that goes through the same review while the current permit stays in force.
    /// </summary>
    public Task<Project> AmendAsync(Actor actor, string id, ProjectApplication? application, CancellationToken ct = default) =>
        ChangeAsync(actor, "project.amend", id, null, null, async () =>
        {
            Require(actor, Roles.Researcher);
            if (application?.Id is { } given && given != id)
                throw new ValidationFailedException($"the application names project {given}, not {id}", "id");
            var valid = await validator.ValidateAsync(application, ct) with { Id = id };
            return async (c, tx) =>
            {
                var project = await LoadAsync(c, tx, id, ct);
                RequireAuthor(actor, project);
                var last = project.Versions[^1];
                if (last.Status is ApplicationStatus.Draft or ApplicationStatus.ChangesRequested)
                {
                    await using var cmd = c.Command(
                        "UPDATE gov_applications SET body = @b, status = @s WHERE project_id = @p AND version = @v", tx);
                    cmd.AddParameter("b", JsonSerializer.Serialize(valid, Json)).AddParameter("s", ApplicationStatus.Draft)
                       .AddParameter("p", id).AddParameter("v", last.Version);
                    await cmd.ExecuteNonQueryAsync(ct);
                    if (project.Status == ProjectStatus.ChangesRequested) await SetStatusAsync(c, tx, id, ProjectStatus.Draft, ct);
                    else await TouchAsync(c, tx, id, ct);
                }
                else if (last.Status == ApplicationStatus.Submitted)
                    throw new ConflictException($"version {last.Version} of project {id} is under review: wait for the decision", "under-review");
                else if (project.Status == ProjectStatus.Approved)
                {
                    await InsertVersionAsync(c, tx, id, last.Version + 1, valid, actor.Name, ct);
                    await TouchAsync(c, tx, id, ct);
                }
                else
                    throw new ConflictException($"project {id} is {project.Status}: it can no longer be amended", "project-state");
            };
        }, ct);

    public Task<Project> SubmitAsync(Actor actor, string id, CancellationToken ct = default) =>
        ChangeAsync(actor, "project.submit", id, null, null, async () =>
        {
            Require(actor, Roles.Researcher);
            var current = await GetAsync(id, ct);
            RequireAuthor(actor, current);
            // The catalogue and the accounts may have changed since the draft: check again before review.
            if (current.Open is { } open) await validator.ValidateAsync(open.Application, ct);
            return async (c, tx) =>
            {
                var project = await LoadAsync(c, tx, id, ct);
                var last = project.Versions[^1];
                if (last.Status is not (ApplicationStatus.Draft or ApplicationStatus.ChangesRequested))
                    throw new ConflictException($"project {id} has no draft to submit (its latest version is {last.Status})", "project-state");
                await SetVersionAsync(c, tx, id, last.Version, ApplicationStatus.Submitted, submitted: true, null, null, ct);
                if (project.Status != ProjectStatus.Approved) await SetStatusAsync(c, tx, id, ProjectStatus.Submitted, ct);
            };
        }, ct);

    // ---- review ----

    /// <summary>Applications (first versions and amendments) waiting for a reviewer.</summary>
    public async Task<IReadOnlyList<Project>> ReviewQueueAsync(CancellationToken ct = default) =>
        (await ListAsync(null, ct)).Where(p => p.Open?.Status == ApplicationStatus.Submitted).ToList();

    public Task<Project> RequestChangesAsync(Actor actor, string id, string? reason, CancellationToken ct = default) =>
        DecideAsync(actor, id, "review.request-changes", reason, ApplicationStatus.ChangesRequested, ct);

    public Task<Project> RefuseAsync(Actor actor, string id, string? reason, CancellationToken ct = default) =>
        DecideAsync(actor, id, "review.refuse", reason, ApplicationStatus.Refused, ct);

    private Task<Project> DecideAsync(Actor actor, string id, string action, string? reason, string decision, CancellationToken ct) =>
        ChangeAsync(actor, action, id, reason, null, () =>
        {
            Require(actor, Roles.Reviewer);
            if (string.IsNullOrWhiteSpace(reason)) throw new ValidationFailedException("give the reason for the decision; the applicant reads it", "reason");
            return Task.FromResult<Func<DbConnection, DbTransaction, Task>>(async (c, tx) =>
            {
                var project = await LoadAsync(c, tx, id, ct);
                var version = UnderReview(project);
                NotOwnApplication(actor, project);
                await SetVersionAsync(c, tx, id, version.Version, decision, submitted: false, actor.Name, reason, ct);
                if (project.Status != ProjectStatus.Approved)
                    await SetStatusAsync(c, tx, id, decision == ApplicationStatus.Refused ? ProjectStatus.Refused : ProjectStatus.ChangesRequested, ct);
            });
        }, ct);

    /// <summary>
    /// Approves the version under review and issues its permit for [<paramref name="from"/>, <paramref name="to"/>):
    /// exactly its members, tables, columns and data period. The project key is created at the first approval; an
    /// amendment's permit supersedes the previous one.
    /// </summary>
    public Task<Project> ApproveAsync(Actor actor, string id, DateTimeOffset from, DateTimeOffset to, string? reason, CancellationToken ct = default)
    {
        var permitId = $"pmt-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        var details = new Dictionary<string, string> { ["permit"] = permitId, ["validFrom"] = Time.Format(from), ["validTo"] = Time.Format(to) };
        return ChangeAsync(actor, "review.approve", id, reason, details, () =>
        {
            Require(actor, Roles.Reviewer);
            if (to <= from) throw new ValidationFailedException($"the permit ends ({to:yyyy-MM-dd}) before it starts ({from:yyyy-MM-dd})", "to");
            if (to <= Now) throw new ValidationFailedException($"the permit would end ({to:yyyy-MM-dd}) in the past", "to");
            return Task.FromResult<Func<DbConnection, DbTransaction, Task>>(async (c, tx) =>
            {
                var project = await LoadAsync(c, tx, id, ct);
                var version = UnderReview(project);
                NotOwnApplication(actor, project);
                var application = version.Application;
                var months = application.RequestedDurationMonths ?? 0;
                if (to > from.AddMonths(months).AddDays(1))
                    throw new ValidationFailedException($"the window exceeds the {months} months the application asks for", "to");

                var keyId = project.KeyId ?? await hub.Keys.CreateAsync("project", id, c, tx, ct);
                details["projectKey"] = keyId;
                if (project.Permit is { Ended: null } previous)
                {
                    await EndPermitAsync(c, tx, previous.Id, PermitStates.Superseded, actor.Name, $"superseded by {permitId}", ct);
                    details["supersedes"] = previous.Id;
                }
                await using (var cmd = c.Command(
                    "INSERT INTO gov_permits (id, project_id, application_version, valid_from, valid_to, data_from, data_to, issued_at, issued_by) " +
                    "VALUES (@id, @p, @v, @f, @t, @df, @dt, @i, @b)", tx))
                {
                    cmd.AddParameter("id", permitId).AddParameter("p", id).AddParameter("v", version.Version)
                       .AddParameter("f", Time.Format(from)).AddParameter("t", Time.Format(to))
                       .AddParameter("df", Time.Format(application.Period!.From!.Value)).AddParameter("dt", Time.Format(application.Period.To!.Value))
                       .AddParameter("i", Time.Format(Now)).AddParameter("b", actor.Name);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                foreach (var member in application.Members!)
                {
                    await using var cmd = c.Command("INSERT INTO gov_permit_members (permit_id, member) VALUES (@id, @m)", tx);
                    cmd.AddParameter("id", permitId).AddParameter("m", member);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                foreach (var dataset in application.Datasets!)
                foreach (var table in dataset.Tables!)
                foreach (var column in table.Columns!)
                {
                    await using var cmd = c.Command(
                        "INSERT INTO gov_permit_columns (permit_id, dataset, table_name, column_name) VALUES (@id, @d, @t, @c)", tx);
                    cmd.AddParameter("id", permitId).AddParameter("d", dataset.Dataset).AddParameter("t", table.Table).AddParameter("c", column);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                await SetVersionAsync(c, tx, id, version.Version, ApplicationStatus.Approved, submitted: false, actor.Name, reason, ct);
                await using (var cmd = c.Command("UPDATE gov_projects SET status = @s, key_id = @k, updated_at = @t WHERE id = @id", tx))
                {
                    cmd.AddParameter("s", ProjectStatus.Approved).AddParameter("k", keyId).AddParameter("t", Time.Format(Now)).AddParameter("id", id);
                    await cmd.ExecuteNonQueryAsync(ct);
                }
            });
        }, ct);
    }

    // ---- end of access ----

    public Task<Project> RevokeAsync(Actor actor, string id, string? reason, CancellationToken ct = default) =>
        ChangeAsync(actor, "project.revoke", id, reason, null, () =>
        {
            if (!actor.Has(Roles.Reviewer) && !actor.IsOperator)
                throw new AccessDeniedException("rule role: revoking a permit needs the role reviewer or operator", "role");
            if (string.IsNullOrWhiteSpace(reason)) throw new ValidationFailedException("give the reason for the revocation", "reason");
            return Task.FromResult<Func<DbConnection, DbTransaction, Task>>(async (c, tx) =>
            {
                var project = await LoadAsync(c, tx, id, ct);
                if (project.Status != ProjectStatus.Approved || project.Permit is not { Ended: null } permit)
                    throw new ConflictException($"project {id} has no permit in force to revoke (it is {project.Status})", "project-state");
                await EndPermitAsync(c, tx, permit.Id, PermitStates.Revoked, actor.Name, reason, ct);
                await WithdrawOpenAsync(c, tx, project, ct);
                await SetStatusAsync(c, tx, id, ProjectStatus.Revoked, ct);
            });
        }, ct);

    /// <summary>
    /// Closes the project: its permit ends and its key is destroyed in the same transaction (crypto-shredding: the
    /// project's pseudonyms and anything sealed under its key can never be produced or read again).
    /// </summary>
    public Task<Project> CloseAsync(Actor actor, string id, string? reason, CancellationToken ct = default)
    {
        var details = new Dictionary<string, string>();
        return ChangeAsync(actor, "project.close", id, reason, details, () =>
            Task.FromResult<Func<DbConnection, DbTransaction, Task>>(async (c, tx) =>
            {
                var project = await LoadAsync(c, tx, id, ct);
                if (!actor.IsOperator && !actor.Has(Roles.Reviewer) && project.Author != actor.Name)
                    throw new AccessDeniedException("rule role: a project is closed by its author, a reviewer or the operator", "role");
                if (project.Status == ProjectStatus.Closed)
                    throw new ConflictException($"project {id} is already closed", "project-state");
                if (project.Permit is { Ended: null } permit)
                {
                    await EndPermitAsync(c, tx, permit.Id, PermitStates.Closed, actor.Name, reason ?? "project closed", ct);
                    details["permit"] = permit.Id;
                }
                if (project.KeyId is not null)
                {
                    await hub.Keys.DestroyAsync(project.KeyId, $"project {id} closed", c, tx, ct);
                    details["keyDestroyed"] = project.KeyId;
                }
                await WithdrawOpenAsync(c, tx, project, ct);
                await using var cmd = c.Command(
                    "UPDATE gov_projects SET status = @s, closed_at = @t, closed_by = @b, close_reason = @r, updated_at = @t WHERE id = @id", tx);
                cmd.AddParameter("s", ProjectStatus.Closed).AddParameter("t", Time.Format(Now)).AddParameter("b", actor.Name)
                   .AddParameter("r", reason).AddParameter("id", id);
                await cmd.ExecuteNonQueryAsync(ct);
            }), ct);
    }

    /// <summary>Records the publication of the project's results (a DOI, a URL, a reference).</summary>
    public Task<Project> PublishAsync(Actor actor, string id, string? reference, CancellationToken ct = default) =>
        ChangeAsync(actor, "project.publish", id, null, new Dictionary<string, string> { ["reference"] = reference ?? "" }, () =>
        {
            if (string.IsNullOrWhiteSpace(reference)) throw new ValidationFailedException("give the publication's reference (DOI, URL…)", "reference");
            if (reference.Length > 500) throw new ValidationFailedException("the reference is longer than 500 characters", "reference");
            return Task.FromResult<Func<DbConnection, DbTransaction, Task>>(async (c, tx) =>
            {
                var project = await LoadAsync(c, tx, id, ct);
                if (!actor.IsOperator && !project.Involves(actor.Name))
                    throw new AccessDeniedException("rule project-member: results are recorded by the project's author, a member or the operator", "project-member");
                if (project.KeyId is null)
                    throw new ConflictException($"project {id} was never approved: there are no results to publish", "project-state");
                await using var cmd = c.Command(
                    "UPDATE gov_projects SET publication_reference = @r, published_at = @t, updated_at = @t WHERE id = @id", tx);
                cmd.AddParameter("r", reference.Trim()).AddParameter("t", Time.Format(Now)).AddParameter("id", id);
                await cmd.ExecuteNonQueryAsync(ct);
            });
        }, ct);

    // ---- reading ----

    public async Task<Project> GetAsync(string id, CancellationToken ct = default)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        return await LoadAsync(c, null, id, ct);
    }

    /// <summary>A project the actor may read: staff roles read all, researchers their own projects.</summary>
    public async Task<Project> GetForAsync(Actor actor, string id, CancellationToken ct = default)
    {
        var project = await GetAsync(id, ct);
        if (!CanRead(actor, project)) throw new NotFoundException($"project {id} does not exist", "project-not-found");
        return project;
    }

    public async Task<IReadOnlyList<Project>> ListAsync(Actor? actor, CancellationToken ct = default)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        var ids = new List<string>();
        await using (var cmd = c.Command("SELECT id FROM gov_projects ORDER BY created_at, id"))
        {
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) ids.Add(r.GetString(0));
        }
        var list = new List<Project>(ids.Count);
        foreach (var id in ids)
        {
            var project = await LoadAsync(c, null, id, ct);
            if (actor is null || CanRead(actor, project)) list.Add(project);
        }
        return list;
    }

    private static bool CanRead(Actor actor, Project project) =>
        actor.IsOperator || actor.Has(Roles.Reviewer) || actor.Has(Roles.Auditor) || project.Involves(actor.Name);

    internal async Task<Project> LoadAsync(DbConnection c, DbTransaction? tx, string id, CancellationToken ct)
    {
        string author, status; DateTimeOffset created, updated; string? keyId, closedBy, closeReason, pubRef;
        DateTimeOffset? closed, published;
        await using (var cmd = c.Command(
            "SELECT author, status, created_at, updated_at, key_id, closed_at, closed_by, close_reason, publication_reference, published_at " +
            "FROM gov_projects WHERE id = @id", tx))
        {
            cmd.AddParameter("id", id);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) throw new NotFoundException($"project {id} does not exist", "project-not-found");
            author = r.GetString(0); status = r.GetString(1); created = Time.Parse(r.GetString(2)); updated = Time.Parse(r.GetString(3));
            keyId = r.GetNullableString(4); closed = Time.ParseNullable(r.GetNullableString(5)); closedBy = r.GetNullableString(6);
            closeReason = r.GetNullableString(7); pubRef = r.GetNullableString(8); published = Time.ParseNullable(r.GetNullableString(9));
        }
        var versions = new List<ApplicationVersion>();
        await using (var cmd = c.Command(
            "SELECT version, status, author, created_at, submitted_at, decided_at, decided_by, decision_reason, body " +
            "FROM gov_applications WHERE project_id = @id ORDER BY version", tx))
        {
            cmd.AddParameter("id", id);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                versions.Add(new ApplicationVersion((int)r.GetInt64Value(0), r.GetString(1), r.GetString(2), Time.Parse(r.GetString(3)),
                    Time.ParseNullable(r.GetNullableString(4)), Time.ParseNullable(r.GetNullableString(5)), r.GetNullableString(6),
                    r.GetNullableString(7), JsonSerializer.Deserialize<ProjectApplication>(r.GetString(8), Json)!));
        }
        var now = Now;
        var permit = await PermitRows.LatestAsync(c, tx, id, now, ct);
        var effective = versions.LastOrDefault(v => v.Status == ApplicationStatus.Approved) ?? versions[^1];
        DateTimeOffset? deadline = closed is not null && keyId is not null ? closed.Value.AddMonths(PublicationDeadlineMonths) : null;
        return new Project(id, status, author, created, updated, effective.Application, versions, permit, keyId, closed, closedBy, closeReason,
            pubRef is null ? null : new Publication(pubRef, published!.Value), deadline,
            deadline is not null && pubRef is null && now > deadline);
    }

    // ---- helpers ----

    /// <summary>
    /// Runs a change: <paramref name="prepare"/> checks what needs no transaction (roles, validation) and returns the
    /// transactional work, committed with the audit event. Work may add to <paramref name="details"/>: the event is
    /// written after it, in the same transaction. A refusal at any step is audited with its reason, then rethrown.
    /// </summary>
    private async Task<Project> ChangeAsync(Actor actor, string action, string id, string? reason, Dictionary<string, string>? details,
        Func<Task<Func<DbConnection, DbTransaction, Task>>> prepare, CancellationToken ct)
    {
        var entry = new AuditEntry(actor.Name, action, $"project/{id}", AuditOutcome.Success, reason, details);
        try
        {
            var work = await prepare();
            await hub.Audit.CommitWithAsync([entry], async (c, tx) => { await work(c, tx); return 0; }, ct);
        }
        catch (HygieException e) when (e.Status is >= 400 and < 500)
        {
            var refusal = new Dictionary<string, string>(details ?? []) { ["rule"] = e.Code };
            await hub.Audit.AppendAsync(entry with { Outcome = AuditOutcome.Refused, Reason = e.Message, Details = refusal }, CancellationToken.None);
            throw;
        }
        return await GetAsync(id, ct);
    }

    private static void Require(Actor actor, string role)
    {
        if (!actor.Has(role)) throw new AccessDeniedException($"rule role: this action needs the role {role}", "role");
    }

    private static void RequireAuthor(Actor actor, Project project)
    {
        if (project.Author != actor.Name)
            throw new AccessDeniedException($"rule project-author: only the author of project {project.Id} changes or submits its application", "project-author");
    }

    private static ApplicationVersion UnderReview(Project project) =>
        project.Open is { Status: ApplicationStatus.Submitted } open
            ? open
            : throw new ConflictException($"project {project.Id} has no application waiting for review", "not-under-review");

    /// <summary>Never a reviewer of one's own application: the author and every member named on it or on the permit are excluded.</summary>
    private static void NotOwnApplication(Actor actor, Project project)
    {
        if (project.Involves(actor.Name))
            throw new AccessDeniedException(
                $"rule own-application: {actor.Name} is the author or a member of project {project.Id} and cannot review it", "own-application");
    }

    private async Task InsertVersionAsync(DbConnection c, DbTransaction tx, string id, int version, ProjectApplication application, string author, CancellationToken ct)
    {
        await using var cmd = c.Command(
            "INSERT INTO gov_applications (project_id, version, body, status, author, created_at) VALUES (@p, @v, @b, @s, @a, @t)", tx);
        cmd.AddParameter("p", id).AddParameter("v", version).AddParameter("b", JsonSerializer.Serialize(application, Json))
           .AddParameter("s", ApplicationStatus.Draft).AddParameter("a", author).AddParameter("t", Time.Format(Now));
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task SetVersionAsync(DbConnection c, DbTransaction tx, string id, int version, string status, bool submitted,
        string? decidedBy, string? reason, CancellationToken ct)
    {
        var now = Time.Format(Now);
        await using var cmd = c.Command(submitted
            ? "UPDATE gov_applications SET status = @s, submitted_at = @t, decided_at = NULL, decided_by = NULL, decision_reason = NULL WHERE project_id = @p AND version = @v"
            : "UPDATE gov_applications SET status = @s, decided_at = @t, decided_by = @b, decision_reason = @r WHERE project_id = @p AND version = @v", tx);
        cmd.AddParameter("s", status).AddParameter("t", now).AddParameter("p", id).AddParameter("v", version);
        if (!submitted) cmd.AddParameter("b", decidedBy).AddParameter("r", reason);
        await cmd.ExecuteNonQueryAsync(ct);
        await TouchAsync(c, tx, id, ct);
    }

    private async Task SetStatusAsync(DbConnection c, DbTransaction tx, string id, string status, CancellationToken ct)
    {
        await using var cmd = c.Command("UPDATE gov_projects SET status = @s, updated_at = @t WHERE id = @id", tx);
        cmd.AddParameter("s", status).AddParameter("t", Time.Format(Now)).AddParameter("id", id);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task TouchAsync(DbConnection c, DbTransaction tx, string id, CancellationToken ct)
    {
        await using var cmd = c.Command("UPDATE gov_projects SET updated_at = @t WHERE id = @id", tx);
        cmd.AddParameter("t", Time.Format(Now)).AddParameter("id", id);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task EndPermitAsync(DbConnection c, DbTransaction tx, string permitId, string kind, string by, string? reason, CancellationToken ct)
    {
        await using var cmd = c.Command(
            "UPDATE gov_permits SET ended_at = @t, end_kind = @k, ended_by = @b, end_reason = @r WHERE id = @id AND ended_at IS NULL", tx);
        cmd.AddParameter("t", Time.Format(Now)).AddParameter("k", kind).AddParameter("b", by).AddParameter("r", reason).AddParameter("id", permitId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task WithdrawOpenAsync(DbConnection c, DbTransaction tx, Project project, CancellationToken ct)
    {
        if (project.Open is not { } open) return;
        await using var cmd = c.Command("UPDATE gov_applications SET status = @s WHERE project_id = @p AND version = @v", tx);
        cmd.AddParameter("s", ApplicationStatus.Withdrawn).AddParameter("p", project.Id).AddParameter("v", open.Version);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
