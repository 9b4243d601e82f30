using System.CommandLine;
using System.Net.Http.Json;
using System.Text.Json;
using Hygie.Governance.Access;
using Hygie.Governance.OptOuts;
using Hygie.Governance.Permits;
using Hygie.Governance.Projects;
using Hygie.Governance.Users;
using Hygie.Server.Endpoints;
using Hygie.Storage.Identity;

namespace Hygie.Cli.Commands;

/// <summary>
/// Governance verbs, all clients of the hub API: accounts and tokens (operator), projects (researchers), review
/// (reviewers), opt-outs, the access review and the audit trail (operator, auditor). <c>--json</c> prints the hub's answer.
/// </summary>
public static class GovernanceCommands
{
    public static IEnumerable<Command> Create(GlobalOptions g, CliConsole console) =>
        [Users(g, console), Tokens(g, console), Projects(g, console), Review(g, console), OptOut(g, console), Access(g, console)];

    // ---- users ----

    private static Command Users(GlobalOptions g, CliConsole console)
    {
        var users = new Command("users", "hub accounts: who may sign in, with which roles");

        var name = new Argument<string>("name") { Description = "account name (lower case, e.g. alice)" };
        var role = new Option<string[]>("--role") { Description = "a role: operator, producer, reviewer, researcher, auditor (repeat for several)", Required = true, AllowMultipleArgumentsPerToken = true };
        var org = new Option<string?>("--org") { Description = "the person's organisation" };
        var display = new Option<string?>("--name") { Description = "the person's full name" };
        var consent = new Option<bool>("--public") { Description = "the person consents to be named in the public registry" };
        var country = new Option<string?>("--country") { Description = "the organisation's country (ISO 3166-1 alpha-2, e.g. FR): where the account's accesses come from, for the compliance report" };
        var reason = Reason();
        var add = new Command("add", "create an account") { name, role, org, display, consent, country, reason };
        add.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var user = await SendAsync<HubUser>(client, parse, g, console, "/api/users", new NewUserRequest(parse.GetValue(name), parse.GetValue(display),
                parse.GetValue(org), parse.GetValue(role), parse.GetValue(consent), parse.GetValue(reason), parse.GetValue(country)), ct);
            if (user is not null) console.Line($"User {user.Name} created with roles {string.Join(", ", user.Roles)}.");
            return HygieCli.Ok;
        });
        users.Subcommands.Add(add);

        var list = new Command("list", "list the accounts");
        list.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var all = await GetAsync<List<HubUser>>(client, parse, g, console, "/api/users", ct);
            if (all is not null)
                console.Table(["name", "full name", "organisation", "country", "roles", "public", "created"],
                    all.Select(u => new[] { u.Name, u.DisplayName, u.Organisation, u.Country, string.Join(" ", u.Roles), u.PublicConsent ? "yes" : "no", u.Created.ToString("u") }));
            return HygieCli.Ok;
        });
        users.Subcommands.Add(list);
        return users;
    }

    // ---- tokens ----

    private static Command Tokens(GlobalOptions g, CliConsole console)
    {
        var tokens = new Command("tokens", "API tokens: expiring, shown once, stored hashed");

        var user = new Option<string?>("--user") { Description = "the account the token is for (with --tenant: a user's FHIR access to that tenant)" };
        var expires = new Option<string?>("--expires") { Description = "lifetime: 30d, 12h, 4w (default 90d, at most 366d)" };
        var tenant = new Option<string?>("--tenant") { Description = "FHIR tenant the token is bound to: it then carries SMART scopes only, no hub role" };
        var scope = new Option<string[]>("--scope") { Description = "SMART scope on the tenant, e.g. 'user/*.*', 'patient/Observation.write' (repeat for several)", AllowMultipleArgumentsPerToken = true };
        var app = new Option<string?>("--app") { Description = "with --tenant and no --user: the tenant's application the token stands for (default 'app'; subject APP@TENANT)" };
        var role = new Option<string[]>("--role") { Description = "restrict to some of the user's roles (default: all of them)", AllowMultipleArgumentsPerToken = true };
        var description = new Option<string?>("--description") { Description = "what the token is for" };
        var reason = Reason();
        var create = new Command("create", "issue a token (printed once: store it now): --user U for an account, --tenant T --scope S for a FHIR application")
        {
            user, expires, tenant, scope, app, role, description, reason,
        };
        create.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var issued = await SendAsync<IssuedTokenResponse>(client, parse, g, console, "/api/tokens", new TokenRequest(parse.GetValue(user),
                parse.GetValue(expires), parse.GetValue(tenant), NullIfEmpty(parse.GetValue(scope)), NullIfEmpty(parse.GetValue(role)),
                parse.GetValue(description), parse.GetValue(reason), parse.GetValue(app)), ct);
            if (issued is not null)
            {
                var t = issued.Token;
                console.Line(t.Tenant is null
                    ? $"Token {t.Id} for {t.Subject} ({string.Join(", ", t.Roles)}), expires {t.Expires:u}:"
                    : $"Token {t.Id} for {t.Subject} on tenant {t.Tenant} ({string.Join(" ", t.Scopes)}), expires {t.Expires:u}:");
                console.Line(issued.Secret);
                console.Line("It is shown this once; the hub keeps only its hash.");
            }
            return HygieCli.Ok;
        });
        tokens.Subcommands.Add(create);

        var forUser = new Option<string?>("--user") { Description = "only this subject's tokens (an account, or an application APP@TENANT)" };
        var forTenant = new Option<string?>("--tenant") { Description = "only the tokens bound to this FHIR tenant" };
        var list = new Command("list", "list tokens (never their secret)") { forUser, forTenant };
        list.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var query = new List<string>();
            if (parse.GetValue(forUser) is { } u) query.Add($"user={Uri.EscapeDataString(u)}");
            if (parse.GetValue(forTenant) is { } tn) query.Add($"tenant={Uri.EscapeDataString(tn)}");
            var path = "/api/tokens" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
            var all = await GetAsync<List<AccessToken>>(client, parse, g, console, path, ct);
            if (all is not null)
                console.Table(["id", "subject", "roles", "tenant", "scopes", "created", "expires", "revoked"],
                    all.Select(t => new[] { t.Id, t.Subject, string.Join(" ", t.Roles), t.Tenant, string.Join(" ", t.Scopes), t.Created.ToString("u"), t.Expires?.ToString("u") ?? "never", t.Revoked?.ToString("u") ?? "" }));
            return HygieCli.Ok;
        });
        tokens.Subcommands.Add(list);

        var id = new Argument<string>("id") { Description = "token id (from 'tokens list')" };
        var revokeReason = Reason();
        var revoke = new Command("revoke", "revoke a token at once") { id, revokeReason };
        revoke.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var token = await SendAsync<AccessToken>(client, parse, g, console, $"/api/tokens/{Uri.EscapeDataString(parse.GetValue(id)!)}/revoke",
                new ReasonRequest(parse.GetValue(revokeReason)), ct);
            if (token is not null) console.Line($"Token {token.Id} of {token.Subject} revoked.");
            return HygieCli.Ok;
        });
        tokens.Subcommands.Add(revoke);
        return tokens;
    }

    // ---- projects ----

    private static Command Projects(GlobalOptions g, CliConsole console)
    {
        var projects = new Command("projects", "research projects: apply, submit, amend, close, publish");

        var file = new Option<string>("--file") { Description = "the application (JSON): title, summary, purpose, sponsor, legalBasis, datasets, period, members, requestedDurationMonths", Required = true };
        var apply = new Command("apply", "create a project from an application (a draft, until submitted)") { file };
        apply.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var project = await SendAsync<Project>(client, parse, g, console, "/api/projects", ReadApplication(parse.GetValue(file)!), ct);
            if (project is not null) console.Line($"Project {project.Id} created as a draft: check it with 'hygie projects show {project.Id}', then 'hygie projects submit {project.Id}'.");
            return HygieCli.Ok;
        });
        projects.Subcommands.Add(apply);

        projects.Subcommands.Add(ProjectAction(g, console, "submit", "submit the draft (or the changes asked for) to review", "submit", null,
            p => $"Project {p.Id}: version {p.Versions[^1].Version} submitted for review."));

        var amendId = ProjectId();
        var amendFile = new Option<string>("--file") { Description = "the whole amended application (JSON)", Required = true };
        var amend = new Command("amend", "change the application: a draft is replaced; an approved project gets an amendment to submit for review") { amendId, amendFile };
        amend.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var project = await SendAsync<Project>(client, parse, g, console, $"/api/projects/{Uri.EscapeDataString(parse.GetValue(amendId)!)}/amend",
                ReadApplication(parse.GetValue(amendFile)!), ct);
            if (project is not null) console.Line($"Project {project.Id}: version {project.Versions[^1].Version} is a draft; submit it with 'hygie projects submit {project.Id}'.");
            return HygieCli.Ok;
        });
        projects.Subcommands.Add(amend);

        var status = new Option<string?>("--status") { Description = "only projects in this status (draft, submitted, changes-requested, refused, approved, revoked, closed)" };
        var overdue = new Option<bool>("--overdue") { Description = "only closed projects whose results are not published 18 months after closure" };
        var list = new Command("list", "projects you may see") { status, overdue };
        list.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var query = new List<string>();
            if (parse.GetValue(status) is { } s) query.Add($"status={Uri.EscapeDataString(s)}");
            if (parse.GetValue(overdue)) query.Add("overdue=true");
            var all = await GetAsync<List<Project>>(client, parse, g, console, "/api/projects" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), ct);
            if (all is not null) ProjectTable(console, all);
            return HygieCli.Ok;
        });
        projects.Subcommands.Add(list);

        var showId = ProjectId();
        var show = new Command("show", "a project: application, versions and reviews, permit, closure, publication") { showId };
        show.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var project = await GetAsync<Project>(client, parse, g, console, $"/api/projects/{Uri.EscapeDataString(parse.GetValue(showId)!)}", ct);
            if (project is not null) ShowProject(console, project);
            return HygieCli.Ok;
        });
        projects.Subcommands.Add(show);

        var revokeReason = new Option<string?>("--reason") { Description = "why (recorded, shown to the project)", Required = true };
        projects.Subcommands.Add(ProjectAction(g, console, "revoke", "end the project's permit now", "revoke", revokeReason,
            p => $"Project {p.Id}: permit {p.Permit?.Id} revoked."));
        projects.Subcommands.Add(ProjectAction(g, console, "close", "close the project: its permit ends and its key is destroyed (irreversible)", "close", Reason(),
            p => $"Project {p.Id} closed{(p.KeyId is null ? "" : $"; key {p.KeyId} destroyed")}. Publish its results by {p.PublicationDeadline:yyyy-MM-dd}."));

        var publishId = ProjectId();
        var reference = new Option<string>("--reference") { Description = "the publication (DOI, URL, reference)", Required = true };
        var publish = new Command("publish", "record the publication of the project's results") { publishId, reference };
        publish.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var project = await SendAsync<Project>(client, parse, g, console, $"/api/projects/{Uri.EscapeDataString(parse.GetValue(publishId)!)}/publication",
                new PublicationRequest(parse.GetValue(reference)), ct);
            if (project is not null) console.Line($"Project {project.Id}: publication recorded ({project.Publication?.Reference}).");
            return HygieCli.Ok;
        });
        projects.Subcommands.Add(publish);
        return projects;
    }

    // ---- review ----

    private static Command Review(GlobalOptions g, CliConsole console)
    {
        var review = new Command("review", "the access committee: applications and amendments waiting for a decision");

        var list = new Command("list", "applications waiting for review");
        list.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var all = await GetAsync<List<Project>>(client, parse, g, console, "/api/reviews", ct);
            if (all is not null)
                console.Table(["project", "version", "title", "author", "submitted", "datasets"],
                    all.Select(p => new[] { p.Id, p.Open!.Version.ToString(), p.Open.Application.Title, p.Author, p.Open.Submitted?.ToString("u"),
                        string.Join(", ", (p.Open.Application.Datasets ?? []).Select(d => d.Dataset)) }));
            return HygieCli.Ok;
        });
        review.Subcommands.Add(list);

        var id = ProjectId();
        var from = new Option<string>("--from") { Description = "first day of access (yyyy-MM-dd, UTC)", Required = true };
        var to = new Option<string>("--to") { Description = "last day of access, included (yyyy-MM-dd, UTC)", Required = true };
        var reason = Reason();
        var approve = new Command("approve", "approve the application and issue its permit for the window given") { id, from, to, reason };
        approve.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var project = await SendAsync<Project>(client, parse, g, console, $"/api/reviews/{Uri.EscapeDataString(parse.GetValue(id)!)}/approve",
                new ApproveRequest(parse.GetValue(from), parse.GetValue(to), parse.GetValue(reason)), ct);
            if (project?.Permit is { } p)
                console.Line($"Project {project.Id} approved: permit {p.Id} from {p.ValidFrom:u} until {p.ValidTo:u} for {string.Join(", ", p.Members)}.");
            return HygieCli.Ok;
        });
        review.Subcommands.Add(approve);

        foreach (var (verb, what) in new[] { ("refuse", "refuse the application"), ("request-changes", "return the application to its author with what to change") })
        {
            var vid = ProjectId();
            var why = new Option<string>("--reason") { Description = "the decision's reason, read by the applicant", Required = true };
            var command = new Command(verb, what) { vid, why };
            command.SetHandler(console, async (parse, ct) =>
            {
                using var client = HubAccess.Client(parse, g);
                var project = await SendAsync<Project>(client, parse, g, console, $"/api/reviews/{Uri.EscapeDataString(parse.GetValue(vid)!)}/{verb}",
                    new ReasonRequest(parse.GetValue(why)), ct);
                if (project is not null) console.Line($"Project {project.Id}: version {project.Versions[^1].Version} {project.Versions[^1].Status}.");
                return HygieCli.Ok;
            });
            review.Subcommands.Add(command);
        }
        return review;
    }

    // ---- opt-outs ----

    private static Command OptOut(GlobalOptions g, CliConsole console)
    {
        var optout = new Command("optout", "citizens' objections, kept as hub pseudonyms only");
        var nir = new Option<string>("--nir") { Description = "the person's NIR (15 characters with its key); '-' reads it from standard input", Required = true };
        var reason = Reason();
        var add = new Command("add", "record an objection: from now on every workspace built excludes the person (where the legal basis allows objection)") { nir, reason };
        add.SetHandler(console, async (parse, ct) =>
        {
            var value = parse.GetValue(nir)!;
            if (value == "-") value = (await Console.In.ReadLineAsync(ct))?.Trim() ?? "";
            using var client = HubAccess.Client(parse, g);
            var receipt = await SendAsync<OptOutReceipt>(client, parse, g, console, "/api/optouts", new OptOutRequest(value, parse.GetValue(reason)), ct);
            if (receipt is not null)
                console.Line(receipt.AlreadyRecorded
                    ? $"This objection was already recorded (receipt {receipt.Receipt})."
                    : $"Objection recorded (receipt {receipt.Receipt}); only its pseudonym is kept.");
            return HygieCli.Ok;
        });
        optout.Subcommands.Add(add);
        return optout;
    }

    // ---- access review and audit trail ----

    private static Command Access(GlobalOptions g, CliConsole console)
    {
        var access = new Command("access", "who can access what today, and why");
        var review = new Command("review", "every member of every permit in force, and every holder of a role");
        review.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var report = await GetAsync<AccessReviewReport>(client, parse, g, console, "/api/access/review", ct);
            if (report is null) return HygieCli.Ok;
            console.Line($"Access review at {report.At:u}");
            console.Table(["user", "organisation", "project", "permit", "until", "legal basis", "data", "period"],
                report.DataAccess.Select(a => new[] { a.User, a.Organisation, a.Project, a.Permit, a.ValidTo.ToString("u"), a.LegalBasis,
                    string.Join("; ", a.Tables.Select(t => $"{t.Dataset}.{t.Table}({string.Join(",", t.Columns)})")), $"{a.DataFrom:yyyy-MM-dd}..{a.DataTo:yyyy-MM-dd}" }));
            console.Table(["user", "organisation", "roles", "live tokens", "last expiry"],
                report.RoleHolders.Select(h => new[] { h.User, h.Organisation, string.Join(" ", h.Roles), h.LiveTokens.ToString(),
                    h.HasTokenWithoutExpiry ? "never" : h.LastTokenExpiry?.ToString("u") }));
            return HygieCli.Ok;
        });
        access.Subcommands.Add(review);
        return access;
    }

    /// <summary><c>hygie audit events</c>: the audit log through the API, for operators and auditors.</summary>
    public static Command AuditEvents(GlobalOptions g, CliConsole console)
    {
        var actor = new Option<string?>("--actor") { Description = "only this actor's events" };
        var action = new Option<string?>("--action") { Description = "only actions starting with this (e.g. project., review.approve)" };
        var outcome = new Option<string?>("--outcome") { Description = "success, refused or failed" };
        var target = new Option<string?>("--target") { Description = "only this target (e.g. project/diabetes-2025)" };
        var limit = new Option<int>("--limit") { Description = "at most this many, newest first", DefaultValueFactory = _ => 100 };
        var operatorActions = new Option<bool>("--operator") { Description = "every action of the operators, with its reason" };
        var events = new Command("events", "read audit events through the running hub (operator, auditor)") { actor, action, outcome, target, limit, operatorActions };
        events.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            string path;
            if (parse.GetValue(operatorActions)) path = $"/api/audit/operator-actions?limit={parse.GetValue(limit)}";
            else
            {
                var query = new List<string> { $"limit={parse.GetValue(limit)}" };
                if (parse.GetValue(actor) is { } a) query.Add($"actor={Uri.EscapeDataString(a)}");
                if (parse.GetValue(action) is { } ac) query.Add($"action={Uri.EscapeDataString(ac)}");
                if (parse.GetValue(outcome) is { } o) query.Add($"outcome={Uri.EscapeDataString(o)}");
                if (parse.GetValue(target) is { } t) query.Add($"target={Uri.EscapeDataString(t)}");
                path = "/api/audit/events?" + string.Join('&', query);
            }
            var list = await GetAsync<List<AuditEventView>>(client, parse, g, console, path, ct);
            if (list is not null)
                console.Table(["seq", "time", "actor", "action", "target", "outcome", "reason"],
                    list.Select(e => new[] { e.Seq.ToString(), e.Time.ToString("u"), e.Actor, e.Action, e.Target, e.Outcome, e.Reason }));
            return HygieCli.Ok;
        });
        return events;
    }

    // ---- helpers ----

    private static Argument<string> ProjectId() => new("id") { Description = "project id" };

    private static Option<string?> Reason() => new("--reason") { Description = "why (recorded in the audit log)" };

    private static IReadOnlyList<string>? NullIfEmpty(string[]? values) => values is { Length: > 0 } ? values : null;

    private static Command ProjectAction(GlobalOptions g, CliConsole console, string verb, string what, string route, Option<string?>? reasonOption,
        Func<Project, string> done)
    {
        var id = ProjectId();
        var command = new Command(verb, what) { id };
        if (reasonOption is not null) command.Options.Add(reasonOption);
        command.SetHandler(console, async (parse, ct) =>
        {
            using var client = HubAccess.Client(parse, g);
            var reason = reasonOption is null ? null : parse.GetValue(reasonOption);
            var project = await SendAsync<Project>(client, parse, g, console, $"/api/projects/{Uri.EscapeDataString(parse.GetValue(id)!)}/{route}",
                reason is null ? null : new ReasonRequest(reason), ct);
            if (project is not null) console.Line(done(project));
            return HygieCli.Ok;
        });
        return command;
    }

    private static JsonElement ReadApplication(string path)
    {
        if (!File.Exists(path)) throw new CliException($"cannot read {path}: the file does not exist");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CliException($"{path} must hold one JSON object (the application)");
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new CliException($"{path} is not valid JSON (line {e.LineNumber + 1}): fix it and try again");
        }
    }

    /// <summary>GETs; with --json prints the hub's answer as it is and returns null, otherwise returns it typed.</summary>
    private static async Task<T?> GetAsync<T>(HubClient client, ParseResult parse, GlobalOptions g, CliConsole console, string path, CancellationToken ct) where T : class
    {
        var element = await client.GetAsync<JsonElement>(path, ct);
        return Output<T>(element, parse, g, console);
    }

    private static async Task<T?> SendAsync<T>(HubClient client, ParseResult parse, GlobalOptions g, CliConsole console, string path, object? body, CancellationToken ct) where T : class
    {
        var element = await client.PostAsync<JsonElement>(path, body, ct);
        return Output<T>(element, parse, g, console);
    }

    private static T? Output<T>(JsonElement element, ParseResult parse, GlobalOptions g, CliConsole console) where T : class
    {
        if (parse.GetValue(g.Json)) { console.WriteJson(element); return null; }
        return element.Deserialize<T>(CliConsole.JsonOptions) ?? throw new CliException("the hub answered with an empty body");
    }

    private static void ProjectTable(CliConsole console, IReadOnlyList<Project> projects) =>
        console.Table(["id", "title", "sponsor", "status", "permit", "until", "publication"],
            projects.Select(p => new[] { p.Id, p.Title, p.Application.Sponsor, p.Status, p.Permit is null ? "" : $"{p.Permit.Id} ({p.Permit.State})",
                p.Permit?.ValidTo.ToString("u"), p.Publication?.Reference ?? (p.PublicationOverdue ? "OVERDUE" : p.PublicationDeadline is { } d ? $"due {d:yyyy-MM-dd}" : "") }));

    private static void ShowProject(CliConsole console, Project p)
    {
        var a = p.Application;
        console.Table(["", "value"],
        [
            ["project", p.Id], ["title", a.Title], ["status", p.Status], ["author", p.Author], ["sponsor", a.Sponsor],
            ["legal basis", a.LegalBasis?.Describe()], ["period", $"{a.Period?.From:yyyy-MM-dd} .. {a.Period?.To:yyyy-MM-dd}"],
            ["members", string.Join(", ", a.Members ?? [])], ["requested duration", $"{a.RequestedDurationMonths} months"],
            ["summary", a.Summary], ["purpose", a.Purpose],
            ["closed", p.Closed?.ToString("u")], ["publication", p.Publication is null ? (p.PublicationOverdue ? "OVERDUE" : "") : $"{p.Publication.Reference} ({p.Publication.Recorded:u})"],
        ]);
        console.Table(["dataset", "table", "columns"],
            (a.Datasets ?? []).SelectMany(d => (d.Tables ?? []).Select(t => new[] { d.Dataset, t.Table, string.Join(", ", t.Columns ?? []) })));
        console.Table(["version", "status", "submitted", "decided", "by", "reason"],
            p.Versions.Select(v => new[] { v.Version.ToString(), v.Status, v.Submitted?.ToString("u"), v.Decided?.ToString("u"), v.DecidedBy, v.DecisionReason }));
        if (p.Permit is { } permit)
            console.Table(["permit", "state", "from", "until", "members", "issued by"],
                [[permit.Id, permit.State, permit.ValidFrom.ToString("u"), permit.ValidTo.ToString("u"), string.Join(", ", permit.Members), permit.IssuedBy]]);
    }
}
