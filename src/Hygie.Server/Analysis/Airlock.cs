using System.Globalization;
using System.Text;
using System.Text.Json;
using Hygie.Core.Audit;
using Hygie.Core.Disclosure;
using Hygie.Core.Errors;
using Hygie.Governance.Permits;
using Hygie.Storage.Metadata;

namespace Hygie.Server.Analysis;

/// <summary>
/// The output airlock. A request is measured by the hub (persons per cell, contributions), checked, and its published
/// table (suppressed cells blank) sealed under the project key with its report; it is then submitted. Two independent
/// reviewers (role reviewer, never the author, never a project member) vote: two approvals → approved, then released
/// (public log); one rejection → rejected; one return → returned (the author may request again). Only members of the
/// project's permit download, and only once released. Every view, vote, download and state change is audited.
/// </summary>
public sealed class Airlock(Storage.Hub.Hub hub, WorkspaceService workspaces, PermitEvaluator permits)
{
    public static readonly Migration Schema = new("analysis", 1, "output airlock",
        """
        CREATE TABLE ana_releases (
            id TEXT PRIMARY KEY,
            project_id TEXT NOT NULL,
            name TEXT NOT NULL,
            description TEXT,
            author TEXT NOT NULL,
            members TEXT NOT NULL,
            query TEXT NOT NULL,
            state TEXT NOT NULL,
            verdict TEXT NOT NULL,
            report TEXT NOT NULL,
            object_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            released_at TEXT,
            released_by TEXT
        );
        CREATE TABLE ana_release_votes (
            release_id TEXT NOT NULL,
            reviewer TEXT NOT NULL,
            vote TEXT NOT NULL,
            comment TEXT,
            at TEXT NOT NULL,
            PRIMARY KEY (release_id, reviewer)
        );
        """);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static class States
    {
        public const string Submitted = "submitted", InReview = "in-review", Approved = "approved", Rejected = "rejected", Returned = "returned", Released = "released";
    }

    public async Task<ReleaseView> RequestAsync(string subject, string project, ReleaseRequest body, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Name)) throw new ValidationFailedException("a release needs a name", "name");
        if (string.IsNullOrWhiteSpace(body.Query)) throw new ValidationFailedException("a release needs a query", "query");
        var (measured, grant) = await workspaces.MeasureAsync(subject, project, body.Query, body.By ?? [], body.Sum, DisclosureSettings.Default, ct);
        var report = ReportOf(measured.Report);
        if (measured.Report.Verdict == DisclosureVerdict.Fail)
        {
            await AuditAsync(subject, "release.request", $"project/{project}", AuditOutcome.Refused, string.Join("; ", report.Problems));
            throw new PolicyViolationException("the output fails the disclosure check: " + string.Join("; ", report.Problems), "release-check-failed");
        }
        var id = $"rel-{Guid.NewGuid():N}"[..16];
        var objectId = $"releases/{project.ToLowerInvariant()}/{id}.csv";
        var csv = Csv(measured.Header, measured.Published);
        await hub.Sealed.WriteAsync(objectId, grant.ProjectKeyId, async (s, c) => await s.WriteAsync(csv, c), ct);
        var now = hub.Clock.GetUtcNow();
        await using (var c = await hub.Metadata.OpenConnectionAsync(ct))
        await using (var cmd = c.Command("""
            INSERT INTO ana_releases (id, project_id, name, description, author, members, query, state, verdict, report, object_id, created_at)
            VALUES (@id, @p, @n, @d, @a, @m, @q, @s, @v, @r, @o, @t)
            """))
        {
            cmd.AddParameter("id", id).AddParameter("p", project).AddParameter("n", body.Name).AddParameter("d", body.Description)
                .AddParameter("a", subject).AddParameter("m", JsonSerializer.Serialize(grant.Permit.Members)).AddParameter("q", body.Query)
                .AddParameter("s", States.Submitted).AddParameter("v", measured.Report.Verdict.ToString().ToLowerInvariant())
                .AddParameter("r", JsonSerializer.Serialize(report, Json)).AddParameter("o", objectId).AddParameter("t", now.ToString("O"));
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await AuditAsync(subject, "release.state", $"release/{id}", AuditOutcome.Success, $"draft → {States.Submitted}");
        return (await LoadAsync(id, ct))!;
    }

    public async Task<ReleaseView> GetAsync(string subject, IReadOnlyCollection<string> roles, string id, CancellationToken ct)
    {
        var release = await LoadAsync(id, ct) ?? throw new NotFoundException($"release {id} does not exist", "release-not-found");
        if (!roles.Contains(Core.Identity.Roles.Reviewer) && !roles.Contains(Core.Identity.Roles.Auditor) && !release.Members.Contains(subject))
            await DenyAsync(subject, id, "release-not-yours", $"{subject} is neither a reviewer nor a member of project {release.Project}");
        await AuditAsync(subject, "release.view", $"release/{id}", AuditOutcome.Success, null);
        return release;
    }

    public async Task<IReadOnlyList<ReleaseView>> ListAsync(string subject, IReadOnlyCollection<string> roles, string project, CancellationToken ct)
    {
        var list = new List<ReleaseView>();
        foreach (var id in await IdsAsync("SELECT id FROM ana_releases WHERE project_id = @p ORDER BY created_at", ("p", project), ct))
            list.Add((await LoadAsync(id, ct))!);
        if (!roles.Contains(Core.Identity.Roles.Reviewer) && !roles.Contains(Core.Identity.Roles.Auditor))
            list = list.Where(r => r.Members.Contains(subject)).ToList();
        await AuditAsync(subject, "release.list", $"project/{project}", AuditOutcome.Success, null);
        return list;
    }

    /// <summary>Releases awaiting a vote, for a reviewer: those they may vote on (not theirs, not their project's, not voted yet).</summary>
    public async Task<IReadOnlyList<ReleaseView>> ReviewQueueAsync(string subject, IReadOnlyCollection<string> roles, CancellationToken ct)
    {
        if (!roles.Contains(Core.Identity.Roles.Reviewer))
            await DenyAsync(subject, "queue", "release-reviewer-role", $"{subject} is not a reviewer");
        var list = new List<ReleaseView>();
        foreach (var id in await IdsAsync($"SELECT id FROM ana_releases WHERE state IN ('{States.Submitted}', '{States.InReview}') ORDER BY created_at", null, ct))
        {
            var release = (await LoadAsync(id, ct))!;
            if (release.Author != subject && !release.Members.Contains(subject) && release.Votes.All(v => v.Reviewer != subject)) list.Add(release);
        }
        await AuditAsync(subject, "release.list", "releases/awaiting-review", AuditOutcome.Success, null);
        return list;
    }

    public async Task<ReleaseView> VoteAsync(string subject, IReadOnlyCollection<string> roles, string id, string vote, string? comment, CancellationToken ct)
    {
        var release = await LoadAsync(id, ct) ?? throw new NotFoundException($"release {id} does not exist", "release-not-found");
        if (!roles.Contains(Core.Identity.Roles.Reviewer))
            await DenyAsync(subject, id, "release-reviewer-role", $"{subject} is not a reviewer");
        if (release.Author == subject)
            await DenyAsync(subject, id, "release-author-vote", $"{subject} requested release {id} and cannot review it");
        if (release.Members.Contains(subject))
            await DenyAsync(subject, id, "release-member-vote", $"{subject} is a member of project {release.Project} and cannot review its releases");
        if (release.State is not (States.Submitted or States.InReview))
            await ConflictAsync(subject, id, "release-not-in-review", $"release {id} is {release.State}, not awaiting review");
        if (release.Votes.Any(v => v.Reviewer == subject))
            await ConflictAsync(subject, id, "release-already-voted", $"{subject} already voted on release {id}");
        if (vote is not ("approve" or "reject" or "return")) throw new ValidationFailedException("vote approve, reject or return", "vote");
        var now = hub.Clock.GetUtcNow();
        var approvals = release.Votes.Count(v => v.Vote == "approve") + (vote == "approve" ? 1 : 0);
        var next = vote switch { "reject" => States.Rejected, "return" => States.Returned, _ => approvals >= 2 ? States.Approved : States.InReview };
        await using (var c = await hub.Metadata.OpenConnectionAsync(ct))
        {
            await using (var cmd = c.Command("INSERT INTO ana_release_votes (release_id, reviewer, vote, comment, at) VALUES (@i, @r, @v, @c, @t)"))
            {
                cmd.AddParameter("i", id).AddParameter("r", subject).AddParameter("v", vote).AddParameter("c", comment).AddParameter("t", now.ToString("O"));
                await cmd.ExecuteNonQueryAsync(ct);
            }
            await using (var cmd = c.Command("UPDATE ana_releases SET state = @s WHERE id = @i"))
            {
                cmd.AddParameter("s", next).AddParameter("i", id);
                await cmd.ExecuteNonQueryAsync(ct);
            }
            await AuditAsync(subject, "release.vote", $"release/{id}", AuditOutcome.Success, comment, new() { ["vote"] = vote });
            if (next != release.State) await AuditAsync(subject, "release.state", $"release/{id}", AuditOutcome.Success, $"{release.State} → {next}");
            if (next == States.Approved)
            {
                await using var rel = c.Command("UPDATE ana_releases SET state = @s, released_at = @t, released_by = @b WHERE id = @i");
                rel.AddParameter("s", States.Released).AddParameter("t", now.ToString("O")).AddParameter("b", subject).AddParameter("i", id);
                await rel.ExecuteNonQueryAsync(ct);
                await AuditAsync(subject, "release.state", $"release/{id}", AuditOutcome.Success, $"{States.Approved} → {States.Released}");
            }
        }
        return (await LoadAsync(id, ct))!;
    }

    /// <summary>The published CSV (suppressed cells blank), to a member of the project's permit in force, once released.</summary>
    public async Task<byte[]> DownloadAsync(string subject, string id, string format, CancellationToken ct)
    {
        var release = await LoadAsync(id, ct) ?? throw new NotFoundException($"release {id} does not exist", "release-not-found");
        await permits.CheckProjectAsync(subject, release.Project, hub.Clock.GetUtcNow(), ct);
        if (release.State != States.Released)
            await ConflictAsync(subject, id, "release-not-approved", $"release {id} is {release.State}: it can be downloaded only once approved by two reviewers");
        if (format != "csv") throw new ValidationFailedException("only --format csv is available", "format");
        await using var stream = await hub.Sealed.OpenReadAsync(release.ObjectId, ct);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, ct);
        await AuditAsync(subject, "release.download", $"release/{id}", AuditOutcome.Success, format);
        return buffer.ToArray();
    }

    public async Task<IReadOnlyList<PublicRelease>> PublicLogAsync(CancellationToken ct)
    {
        var list = new List<PublicRelease>();
        foreach (var id in await IdsAsync("SELECT id FROM ana_releases WHERE state = 'released' ORDER BY released_at", null, ct))
        {
            var r = (await LoadAsync(id, ct))!;
            list.Add(new PublicRelease(r.Id, r.Name, r.Project, r.ReleasedAt!.Value, r.ReleasedBy!));
        }
        return list;
    }

    private async Task<List<string>> IdsAsync(string sql, (string, string)? parameter, CancellationToken ct)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        await using var cmd = c.Command(sql);
        if (parameter is { } p) cmd.AddParameter(p.Item1, p.Item2);
        var ids = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) ids.Add(r.GetString(0));
        return ids;
    }

    private async Task<ReleaseView?> LoadAsync(string id, CancellationToken ct)
    {
        await using var c = await hub.Metadata.OpenConnectionAsync(ct);
        ReleaseView? view;
        await using (var cmd = c.Command("SELECT id, project_id, name, description, author, members, query, state, verdict, report, object_id, created_at, released_at, released_by FROM ana_releases WHERE id = @i"))
        {
            cmd.AddParameter("i", id);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            if (!await r.ReadAsync(ct)) return null;
            view = new ReleaseView(r.GetString(0), r.GetString(1), r.GetString(2), r.GetNullableString(3), r.GetString(4),
                JsonSerializer.Deserialize<List<string>>(r.GetString(5))!, r.GetString(6), r.GetString(7), r.GetString(8),
                JsonSerializer.Deserialize<ReleaseReport>(r.GetString(9), Json)!, r.GetString(10),
                DateTimeOffset.Parse(r.GetString(11), CultureInfo.InvariantCulture),
                r.GetNullableString(12) is { } at ? DateTimeOffset.Parse(at, CultureInfo.InvariantCulture) : null, r.GetNullableString(13), []);
        }
        var votes = new List<ReleaseVote>();
        await using (var cmd = c.Command("SELECT reviewer, vote, comment, at FROM ana_release_votes WHERE release_id = @i ORDER BY at"))
        {
            cmd.AddParameter("i", id);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
                votes.Add(new ReleaseVote(r.GetString(0), r.GetString(1), r.GetNullableString(2), DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture)));
        }
        return view with { Votes = votes };
    }

    private static ReleaseReport ReportOf(DisclosureReport report) => new(
        report.Verdict.ToString().ToLowerInvariant(), report.PrimarySuppressed, report.SecondarySuppressed, report.Problems,
        report.Cells.Select(c => new ReleaseCell(c.Cell.Key, c.Cell.Measure, c.Status switch
        {
            CellStatus.PrimarySuppressed => "primary", CellStatus.SecondarySuppressed => "secondary", _ => "released",
        }, c.Rule, c.Cell.Persons, c.Published)).ToList());

    private static byte[] Csv(IReadOnlyList<string> header, IReadOnlyList<string?[]> rows)
    {
        static string Field(string? v) => v is null ? "" : v.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;
        var sb = new StringBuilder();
        sb.Append(string.Join(",", header.Select(Field))).Append('\n');
        foreach (var row in rows) sb.Append(string.Join(",", row.Select(Field))).Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private Task AuditAsync(string subject, string action, string target, string outcome, string? reason, Dictionary<string, string>? details = null) =>
        hub.Audit.AppendAsync(new AuditEntry(subject, action, target, outcome, reason, details), CancellationToken.None);

    private async Task DenyAsync(string subject, string id, string rule, string why)
    {
        await AuditAsync(subject, "release.refused", $"release/{id}", AuditOutcome.Refused, $"{rule}: {why}");
        var e = new AccessDeniedException($"release rule {rule}: {why}", rule);
        e.Extensions["rule"] = rule;
        throw e;
    }

    private async Task ConflictAsync(string subject, string id, string rule, string why)
    {
        await AuditAsync(subject, "release.refused", $"release/{id}", AuditOutcome.Refused, $"{rule}: {why}");
        throw new ConflictException($"release rule {rule}: {why}", rule);
    }
}

public sealed record ReleaseRequest(string? Name, string? Description, string? Query, IReadOnlyList<string>? By, string? Sum);

public sealed record ReleaseVoteRequest(string? Vote, string? Comment);

public sealed record ReleaseCell(IReadOnlyList<string?> Key, string Measure, string Status, string? Rule, long Persons, double? Published);

public sealed record ReleaseReport(string Verdict, int PrimarySuppressed, int SecondarySuppressed, IReadOnlyList<string> Problems, IReadOnlyList<ReleaseCell> Cells);

public sealed record ReleaseVote(string Reviewer, string Vote, string? Comment, DateTimeOffset At);

public sealed record ReleaseView(string Id, string Project, string Name, string? Description, string Author, IReadOnlyList<string> Members,
    string Query, string State, string Verdict, ReleaseReport Report, string ObjectId, DateTimeOffset Created, DateTimeOffset? ReleasedAt,
    string? ReleasedBy, IReadOnlyList<ReleaseVote> Votes);

public sealed record PublicRelease(string Id, string Name, string Project, DateTimeOffset Released, string ReleasedBy);
