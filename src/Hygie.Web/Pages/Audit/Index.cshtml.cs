using System.Globalization;
using System.Text;
using System.Text.Json;
using Hygie.Core.Audit;
using Hygie.Core.Identity;
using Hygie.Governance.Access;
using Hygie.Server.Endpoints;
using Hygie.Storage.Audit;
using Hygie.Storage.Hub;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Audit;

/// <summary>
/// The audit log as auditors read it (<c>GET /api/audit/events</c>): filtered by actor, action, target, outcome and
/// dates, newest first, a page at a time; exported as the filtered events (JSON Lines) or as the whole signed export
/// that <c>hygie audit verify</c> checks offline.
/// </summary>
[ConsoleRoles(Roles.Operator, Roles.Auditor)]
public sealed class IndexModel(AuditTrail trail, Hub hub) : ConsolePage
{
    public const int PageSize = 50;

    [BindProperty(SupportsGet = true, Name = "actor")] public string? ActorFilter { get; set; }
    [BindProperty(SupportsGet = true)] public string? Action { get; set; }
    [BindProperty(SupportsGet = true)] public string? Target { get; set; }
    [BindProperty(SupportsGet = true)] public string? Outcome { get; set; }
    [BindProperty(SupportsGet = true)] public string? Since { get; set; }
    [BindProperty(SupportsGet = true)] public string? Until { get; set; }
    [BindProperty(SupportsGet = true)] public long? Before { get; set; }

    public IReadOnlyList<AuditEvent> Events { get; private set; } = [];
    public bool HasMore { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var query = Query(PageSize + 1);
        if (query is null) return Refused();
        var events = await trail.EventsAsync(query, ct);
        HasMore = events.Count > PageSize;
        Events = events.Take(PageSize).ToList();
        return Page();
    }

    /// <summary>The filtered events as JSON Lines, the API's shape (at most 10,000, newest first).</summary>
    public async Task<IActionResult> OnGetEventsAsync(CancellationToken ct)
    {
        var query = Query(10_000);
        if (query is null) return Refused();
        var text = new StringBuilder();
        foreach (var e in await trail.EventsAsync(query, ct))
            text.Append(JsonSerializer.Serialize(AuditEventView.Of(e), JsonSerializerOptions.Web)).Append('\n');
        return File(Encoding.UTF8.GetBytes(text.ToString()), "application/jsonl", "audit-events.jsonl");
    }

    /// <summary>The whole log with its signed header and checkpoints, verifiable offline with the hub's audit key.</summary>
    public async Task<IActionResult> OnGetSignedAsync(CancellationToken ct)
    {
        Response.ContentType = "application/jsonl";
        Response.Headers.ContentDisposition = $"attachment; filename=\"{hub.HubId}-audit.jsonl\"";
        await hub.Audit.ExportAsync(Response.Body, ct);
        return new EmptyResult();
    }

    private AuditQuery? Query(int limit)
    {
        DateTimeOffset? Day(string? text, string field, bool end)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            try { return GovernanceEndpoints.Instant(text, field, end); }
            catch (Core.Errors.ValidationFailedException) { Errors.Add(field, T["form.notADate"]); return null; }
        }
        var since = Day(Since, "since", false);
        var until = Day(Until, "until", true);
        if (Errors.Any) return null;
        return new AuditQuery(Blank(ActorFilter), Blank(Action), Blank(Target), Blank(Outcome), since, until, Before, limit);
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    public string Link(string handler = "", long? before = null)
    {
        var q = new List<string>();
        void Add(string k, string? v) { if (!string.IsNullOrWhiteSpace(v)) q.Add($"{k}={Uri.EscapeDataString(v)}"); }
        Add("handler", handler);
        Add("actor", ActorFilter); Add("action", Action); Add("target", Target); Add("outcome", Outcome); Add("since", Since); Add("until", Until);
        Add("before", before?.ToString(CultureInfo.InvariantCulture));
        return "/audit" + (q.Count == 0 ? "" : "?" + string.Join("&", q));
    }
}
