using System.Collections.Concurrent;
using Hygie.Analytics;
using Hygie.Core.Audit;
using Hygie.Core.Catalog;
using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;
using Hygie.Governance.OptOuts;
using Hygie.Governance.Permits;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Server.Analysis;

/// <summary>
/// One workspace per (project, researcher), built on first use from the permit in force (granted tables and columns,
/// data period on the catalogue's date column, project pseudonyms, opt-outs removed). The permit is re-checked, table by
/// table, before EVERY query: a permit past its end, revoked or a closed project refuses the query and drops the
/// workspace. Idle workspaces are dropped by a timer. Every build, query and refusal is audited.
/// </summary>
public sealed class WorkspaceService : IAsyncDisposable
{
    private sealed record Mapped(string Dataset, string Table, IReadOnlyList<string> Columns);
    private sealed class Session(Workspace workspace, string permitId, IReadOnlyList<Mapped> tables, bool bare)
    {
        public Workspace Workspace { get; } = workspace;
        public string PermitId { get; } = permitId;
        public IReadOnlyList<Mapped> Tables { get; } = tables;
        /// <summary>Built for queries that named no granted column (or for the list of tables): the next build loads what its query names.</summary>
        public bool Bare { get; } = bare;
        public DateTime LastUsed = DateTime.UtcNow;
    }

    private readonly Storage.Hub.Hub _hub;
    private readonly PermitEvaluator _permits;
    private readonly OptOutRegistry _optOuts;
    private readonly IDatasetCatalog _catalog;
    private readonly IServiceProvider _services;
    private readonly WorkspaceLimits _limits;
    private readonly TimeSpan _idle;
    private readonly ConcurrentDictionary<(string Project, string Subject), Session> _sessions = new();
    private readonly SemaphoreSlim _build = new(1, 1);
    private readonly Timer _sweeper;

    public WorkspaceService(Storage.Hub.Hub hub, PermitEvaluator permits, OptOutRegistry optOuts, IDatasetCatalog catalog,
        IServiceProvider services, WorkspaceLimits? limits = null, TimeSpan? idle = null)
    {
        _hub = hub; _permits = permits; _optOuts = optOuts; _catalog = catalog; _services = services;
        _limits = limits ?? new WorkspaceLimits();
        _idle = idle ?? TimeSpan.FromMinutes(30);
        _sweeper = new Timer(_ => Sweep(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
    }

    public int Open => _sessions.Count;

    /// <summary>Drops workspaces unused for longer than the idle limit.</summary>
    public void Sweep()
    {
        foreach (var (key, s) in _sessions)
            if (DateTime.UtcNow - s.LastUsed > _idle) Drop(key, "idle");
    }

    public async Task<QueryPage> QueryAsync(string subject, string project, string sql, int page, int pageSize, CancellationToken ct)
    {
        try
        {
            var result = await RunAsync(subject, project, sql, (w, _) => w.QueryAsync(sql, page, pageSize, ct), ct);
            await AuditAsync(subject, "analysis.query", project, AuditOutcome.Success, null, sql, result.Rows.Count);
            return result;
        }
        catch (QueryRefusedException e)
        {
            await AuditAsync(subject, "analysis.query", project, AuditOutcome.Refused, $"{e.Code}: {e.Message}", sql, 0);
            throw;
        }
    }

    public async Task<string> ExplainAsync(string subject, string project, string sql, CancellationToken ct)
    {
        try
        {
            var plan = await RunAsync(subject, project, sql, (w, _) => w.ExplainAsync(sql, ct), ct);
            await AuditAsync(subject, "analysis.explain", project, AuditOutcome.Success, null, sql, 0);
            return plan;
        }
        catch (QueryRefusedException e)
        {
            await AuditAsync(subject, "analysis.explain", project, AuditOutcome.Refused, $"{e.Code}: {e.Message}", sql, 0);
            throw;
        }
    }

    /// <summary>Measures a release request on the workspace, under the same permit check as a query.</summary>
    public async Task<(MeasuredRelease Measured, PermitGrant Grant)> MeasureAsync(string subject, string project, string query,
        IReadOnlyList<string> dimensions, string? sum, Hygie.Core.Disclosure.DisclosureSettings settings, CancellationToken ct)
    {
        try
        {
            var result = await RunAsync(subject, project, query, async (w, grant) =>
            {
                var personColumn = w.Tables.SelectMany(t => t.Columns).Select(c => c.Name).FirstOrDefault(c => c is "NUM_ENQ" or StoredColumns.Person)
                    ?? throw new QueryRefusedException("the workspace has no person column: persons behind cells cannot be measured", "release-no-persons");
                return (await ReleaseMeasure.MeasureAsync(w, new ReleaseSpec(query, dimensions, sum, personColumn), settings, ct), grant);
            }, ct);
            await AuditAsync(subject, "analysis.release.measure", project, AuditOutcome.Success, result.Item1.Report.Verdict.ToString(), query, result.Item1.Published.Count);
            return result;
        }
        catch (QueryRefusedException e)
        {
            await AuditAsync(subject, "analysis.release.measure", project, AuditOutcome.Refused, $"{e.Code}: {e.Message}", query, 0);
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="run"/> on a workspace holding the columns <paramref name="sql"/> reads. A workspace built
    /// for earlier queries that lacks some is rebuilt with every granted column, once; so is a partial workspace on
    /// which the query fails naming a granted column it does not hold (one the syntax check could not see), and the
    /// query runs again there. A workspace closed under the query (rebuilt, dropped) is looked up again.
    /// </summary>
    private async Task<T> RunAsync<T>(string subject, string project, string sql, Func<Workspace, PermitGrant, Task<T>> run, CancellationToken ct)
    {
        var (session, grant) = await CheckedAsync(subject, project, sql, ct);
        try
        {
            return await run(session.Workspace, grant);
        }
        catch (QueryRefusedException e) when (e.Code == "workspace-closed" || session.Workspace.MayLackColumnsFor(e))
        {
            (session, grant) = await CheckedAsync(subject, project, e.Code == "workspace-closed" ? sql : null, ct);
            return await run(session.Workspace, grant);
        }
    }

    /// <summary>
    /// The caller's own queries on the project, newest first, as the audit trail recorded them: only the caller's
    /// events are read, so nobody sees another member's SQL.
    /// </summary>
    public async Task<IReadOnlyList<QueryHistoryEntry>> HistoryAsync(string subject, string project, int limit, CancellationToken ct)
    {
        var events = await _hub.Audit.QueryAsync(new Storage.Audit.AuditQuery(Actor: subject, ActionPrefix: "analysis.query", Target: $"project/{project}",
            Limit: Math.Clamp(limit, 1, 200)), ct);
        return events.Where(e => e.Action == "analysis.query").Select(e => new QueryHistoryEntry(e.Seq, e.Time,
            e.Entry.Details?.GetValueOrDefault("sql") ?? "", e.Outcome,
            long.TryParse(e.Entry.Details?.GetValueOrDefault("rows"), System.Globalization.CultureInfo.InvariantCulture, out var rows) ? rows : 0,
            e.Entry.Reason)).ToList();
    }

    public async Task<IReadOnlyList<WorkspaceTableInfo>> TablesAsync(string subject, string project, CancellationToken ct) =>
        (await CheckedAsync(subject, project, "", ct)).Session.Workspace.Tables;

    /// <summary>
    /// The permit check of every access (project, then each table with its columns; a refusal drops the workspace),
    /// then the query's own check, then a workspace that holds what the query reads. A workspace is first built with
    /// the columns the first query names only (a cold query then costs what it reads, not the whole grant); when a
    /// later query names others, it is rebuilt once with every granted column.
    /// </summary>
    /// <param name="sql">the query to run; empty for the list of tables (no column needed); null for every column.</param>
    private async Task<(Session Session, PermitGrant Grant)> CheckedAsync(string subject, string project, string? sql, CancellationToken ct)
    {
        var key = (project, subject);
        var now = _hub.Clock.GetUtcNow();
        PermitGrant grant;
        try
        {
            grant = await _permits.CheckProjectAsync(subject, project, now, ct);
            if (_sessions.TryGetValue(key, out var cached))
            {
                if (cached.PermitId == grant.Permit.Id)
                    foreach (var t in cached.Tables) await _permits.CheckAsync(subject, project, t.Dataset, t.Table, t.Columns, now, ct);
                else Drop(key, "permit changed");
            }
        }
        catch (AccessDeniedException)
        {
            Drop(key, "permit refused");
            throw;
        }
        var reads = sql is null ? null : sql.Length == 0 ? QueryReads.None : WorkspaceSql.Parse(sql).Reads;
        if (Usable(out var ready)) return (ready, grant);
        await _build.WaitAsync(ct);
        try
        {
            if (Usable(out var raced)) return (raced, grant);
            var previous = _sessions.TryGetValue(key, out var p) && p.PermitId == grant.Permit.Id ? p : null;
            var session = await BuildAsync(subject, grant, previous is null || previous.Bare ? reads : null, ct);
            _sessions[key] = session;
            if (previous is not null) Close(key, previous, "rebuilt with more columns");
            return (session, grant);
        }
        finally
        {
            _build.Release();
        }

        bool Usable(out Session session)
        {
            if (!_sessions.TryGetValue(key, out session!) || session.PermitId != grant.Permit.Id
                || !(reads is null ? session.Workspace.Complete : session.Workspace.Holds(reads))) return false;
            session.LastUsed = DateTime.UtcNow;
            return true;
        }
    }

    /// <param name="reads">what the query to run reads (only those columns are loaded); null for every granted column.</param>
    private async Task<Session> BuildAsync(string subject, PermitGrant grant, QueryReads? reads, CancellationToken ct)
    {
        var files = _services.GetService<IDatasetFiles>()
            ?? throw new HubStateException("no dataset files are available on this hub (the deposit module is not installed)", "no-dataset-files");
        var permit = grant.Permit;
        var specs = new List<WorkspaceTableSpec>();
        var mapped = new List<Mapped>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var granted in permit.Tables)
        {
            var dataset = await _catalog.FindAsync(granted.Dataset, ct)
                ?? throw new HubStateException($"dataset {granted.Dataset} of permit {permit.Id} is not in the catalogue", "dataset-missing");
            var table = dataset.Table(granted.Table)
                ?? throw new HubStateException($"table {granted.Table} of dataset {granted.Dataset} is not in the catalogue", "table-missing");
            var personGranted = granted.Columns.Any(c => table.Column(c)?.IsPersonKey == true || string.Equals(c, StoredColumns.Person, StringComparison.OrdinalIgnoreCase));
            var columns = granted.Columns
                .Where(c => table.Column(c) is { IsPersonKey: false } && !string.Equals(c, StoredColumns.Person, StringComparison.OrdinalIgnoreCase))
                .Select(c => table.Column(c)!.Name).ToList();
            var dateColumn = table.Columns.FirstOrDefault(c => c.DateColumn)?.Name;
            var parts = await files.PartsAsync(dataset.Name, table.Name, ct);
            var name = names.Add(table.Name) ? table.Name : $"{dataset.Name}_{table.Name}".Replace('-', '_');
            names.Add(name);
            specs.Add(new WorkspaceTableSpec(name, columns,
                personGranted ? (dataset.Kind == "snds" ? "NUM_ENQ" : StoredColumns.Person) : null,
                dateColumn, permit.DataFrom, permit.DataTo,
                parts.Select(p => new WorkspacePart(async c => await _hub.Sealed.OpenRandomAccessAsync(p.ObjectId, c),
                    p.PersonsObjectId is { } persons ? async c => await _hub.Sealed.OpenReadAsync(persons, c) : null)).ToList(),
                columns.Where(c => table.Column(c)?.IsResourceKey == true).ToList()));
            mapped.Add(new Mapped(granted.Dataset, granted.Table, granted.Columns));
        }
        var key = await _hub.Keys.GetAsync(grant.ProjectKeyId, ct);
        var projectPseudonym = Pseudonymizer.ProjectPseudonymizer(key);
        Array.Clear(key);
        // rows deposited under any of a person's identifiers re-key to one pseudonym, and an objection recorded under
        // one of them (a NIR) removes the rows deposited under the others (BEN_NIR_PSA, BEN_IDT_ANO)
        var links = _services.GetService<IPersonLinks>() is { } known ? await known.LoadAsync(ct) : new PersonAliases();
        Func<string, string> pseudonym = hub => projectPseudonym(links.PersonOf(hub));
        IReadOnlySet<string> optedOut = grant.ObjectionApplies ? links.PseudonymsOf(await _optOuts.PseudonymsAsync(ct)) : new HashSet<string>();
        using var staging = MemoryStaging.Create();
        var workspace = await Workspace.BuildAsync(specs, pseudonym, optedOut, _limits, staging, reads, ct);
        var loaded = reads is null ? specs.Sum(t => t.Columns.Count) : specs.Sum(t => reads.ColumnsOf(t.Name, t.Columns).Count());
        await _hub.Audit.AppendAsync(new AuditEntry(subject, "analysis.workspace.build", $"project/{grant.Project}", AuditOutcome.Success, null,
            new Dictionary<string, string>
            {
                ["permit"] = permit.Id, ["tables"] = string.Join(",", specs.Select(s => s.Name)),
                ["columns"] = workspace.Complete ? "all granted" : $"{loaded} of {specs.Sum(t => t.Columns.Count)} granted, as the query reads",
            }), CancellationToken.None);
        return new Session(workspace, permit.Id, mapped, reads is not null && loaded == 0);
    }

    private void Drop((string Project, string Subject) key, string why)
    {
        if (_sessions.TryRemove(key, out var s)) Close(key, s, why);
    }

    /// <summary>Closes a workspace in the background: its closing waits for the query running on it, if any.</summary>
    private void Close((string Project, string Subject) key, Session s, string why)
    {
        _ = Task.Run(s.Workspace.Dispose);
        _ = _hub.Audit.AppendAsync(new AuditEntry(key.Subject, "analysis.workspace.drop", $"project/{key.Project}", AuditOutcome.Success, why), CancellationToken.None);
    }

    private Task AuditAsync(string subject, string action, string project, string outcome, string? reason, string sql, int rows) =>
        _hub.Audit.AppendAsync(new AuditEntry(subject, action, $"project/{project}", outcome, reason,
            new Dictionary<string, string> { ["sql"] = sql.Length > 4000 ? sql[..4000] : sql, ["rows"] = rows.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        foreach (var key in _sessions.Keys) Drop(key, "shutdown");
    }
}

/// <summary>One query of the caller's history: its SQL, how it ended and how many rows its page held.</summary>
public sealed record QueryHistoryEntry(long Seq, DateTimeOffset Time, string Sql, string Outcome, long Rows, string? Reason);
