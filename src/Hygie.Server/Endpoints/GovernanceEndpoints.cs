using System.Globalization;
using System.Security.Claims;
using Hygie.Core.Errors;
using Hygie.Core.Identity;
using Hygie.Governance;
using Hygie.Governance.Access;
using Hygie.Governance.OptOuts;
using Hygie.Governance.Permits;
using Hygie.Governance.Projects;
using Hygie.Governance.Users;
using Hygie.Server.Auth;
using Hygie.Storage.Audit;
using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hygie.Server.Endpoints;

/// <summary>
/// People, tokens, research projects, reviews, permits, the access review and the audit trail. Roles are checked
/// here; the finer rules (author, own application, permit) in the governance module, which audits every refusal.
/// </summary>
public static class GovernanceEndpoints
{
    public static void MapGovernance(this IEndpointRouteBuilder app)
    {
        var staff = new[] { Roles.Operator, Roles.Reviewer, Roles.Auditor, Roles.Researcher, Roles.Producer };

        // ---- accounts and tokens (operator) ----
        var users = app.MapGroup("/api/users").WithTags("users");
        users.MapPost("", async (NewUserRequest body, ClaimsPrincipal user, UserDirectory directory, CancellationToken ct) =>
        {
            var created = await directory.AddAsync(ActorOf(user),
                new NewUser(body.Name ?? "", body.DisplayName, body.Organisation, body.Roles ?? [], body.PublicConsent, body.Country), body.Reason, ct);
            return Results.Created($"/api/users/{created.Name}", created);
        }).RequireRoles(Roles.Operator);
        users.MapGet("", (UserDirectory directory, CancellationToken ct) => directory.ListAsync(ct)).RequireRoles(Roles.Operator, Roles.Auditor);
        users.MapGet("/{name}", (string name, UserDirectory directory, CancellationToken ct) => directory.GetAsync(name, ct))
            .RequireRoles(Roles.Operator, Roles.Auditor);

        var tokens = app.MapGroup("/api/tokens").WithTags("tokens");
        tokens.MapPost("", async (TokenRequest body, ClaimsPrincipal user, TokenDesk desk, CancellationToken ct) =>
        {
            var issued = await desk.IssueAsync(ActorOf(user), body, ct);
            return Results.Created($"/api/tokens/{issued.Token.Id}", new IssuedTokenResponse(issued.Token, issued.Secret));
        }).RequireRoles(Roles.Operator);
        tokens.MapGet("", (string? user, string? tenant, TokenDesk desk, CancellationToken ct) => desk.ListAsync(user, tenant, ct)).RequireRoles(Roles.Operator, Roles.Auditor);
        tokens.MapPost("/{id}/revoke", async (string id, ReasonRequest? body, ClaimsPrincipal user, TokenDesk desk, Hub hub, CancellationToken ct) =>
        {
            await desk.RevokeAsync(ActorOf(user), id, body?.Reason, ct);
            return Results.Ok(await hub.Tokens.GetAsync(id, ct));
        }).RequireRoles(Roles.Operator);

        // ---- projects ----
        var projects = app.MapGroup("/api/projects").WithTags("projects");
        projects.MapPost("", async (ProjectApplication body, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
        {
            var project = await registry.ApplyAsync(ActorOf(user), body, ct);
            return Results.Created($"/api/projects/{project.Id}", project);
        }).RequireRoles(Roles.Researcher);
        projects.MapGet("", async (string? status, bool? overdue, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            (await registry.ListAsync(ActorOf(user), ct))
                .Where(p => status is null || p.Status == status)
                .Where(p => overdue is not true || p.PublicationOverdue).ToList()).RequireRoles(staff);
        projects.MapGet("/{id}", (string id, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            registry.GetForAsync(ActorOf(user), id, ct)).RequireRoles(staff);
        projects.MapPost("/{id}/amend", (string id, ProjectApplication body, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            registry.AmendAsync(ActorOf(user), id, body, ct)).RequireRoles(Roles.Researcher);
        projects.MapPost("/{id}/submit", (string id, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            registry.SubmitAsync(ActorOf(user), id, ct)).RequireRoles(Roles.Researcher);
        projects.MapPost("/{id}/revoke", (string id, ReasonRequest? body, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            registry.RevokeAsync(ActorOf(user), id, body?.Reason, ct)).RequireRoles(Roles.Reviewer, Roles.Operator);
        projects.MapPost("/{id}/close", (string id, ReasonRequest? body, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            registry.CloseAsync(ActorOf(user), id, body?.Reason, ct)).RequireRoles(Roles.Operator, Roles.Reviewer, Roles.Researcher);
        projects.MapPost("/{id}/publication", (string id, PublicationRequest? body, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            registry.PublishAsync(ActorOf(user), id, body?.Reference, ct)).RequireRoles(Roles.Operator, Roles.Researcher);
        projects.MapGet("/{id}/permit", async (string id, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            (await registry.GetForAsync(ActorOf(user), id, ct)).Permit is { } permit
                ? Results.Ok(permit)
                : throw new NotFoundException($"project {id} has no permit", "no-permit")).RequireRoles(staff);
        // The caller's own access, decided by the permit evaluator exactly as analysis will ask it.
        projects.MapPost("/{id}/access-check", async (string id, AccessCheckRequest body, ClaimsPrincipal user, PermitEvaluator permits, Hub hub, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(body.Dataset)) throw new ValidationFailedException("name the dataset", "dataset");
            if (string.IsNullOrWhiteSpace(body.Table)) throw new ValidationFailedException("name the table", "table");
            var grant = await permits.CheckAsync(user.SubjectOf(), id, body.Dataset, body.Table, body.Columns ?? [], hub.Clock.GetUtcNow(), ct);
            return Results.Ok(new AccessCheckResponse(true, grant.Permit.Id, grant.Permit.ValidTo, grant.Permit.DataFrom, grant.Permit.DataTo, grant.ObjectionApplies));
        }).RequireRoles(staff);

        // ---- review ----
        var review = app.MapGroup("/api/reviews").WithTags("review").RequireRoles(Roles.Reviewer);
        review.MapGet("", (ProjectRegistry registry, CancellationToken ct) => registry.ReviewQueueAsync(ct));
        review.MapPost("/{id}/approve", (string id, ApproveRequest body, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            registry.ApproveAsync(ActorOf(user), id, Instant(body.From, "from", endOfDay: false), Instant(body.To, "to", endOfDay: true), body.Reason, ct));
        review.MapPost("/{id}/refuse", (string id, ReasonRequest? body, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            registry.RefuseAsync(ActorOf(user), id, body?.Reason, ct));
        review.MapPost("/{id}/request-changes", (string id, ReasonRequest? body, ClaimsPrincipal user, ProjectRegistry registry, CancellationToken ct) =>
            registry.RequestChangesAsync(ActorOf(user), id, body?.Reason, ct));

        // ---- citizens' objections: the NIR comes in the body only (never a URL), and never goes out ----
        app.MapPost("/api/optouts", (OptOutRequest body, ClaimsPrincipal user, OptOutRegistry optouts, CancellationToken ct) =>
            optouts.AddAsync(ActorOf(user), body.Nir, body.Reason, ct)).RequireRoles(Roles.Operator).WithTags("optouts");
        app.MapGet("/api/optouts/count", async (OptOutRegistry optouts, CancellationToken ct) => new { count = await optouts.CountAsync(ct) })
            .RequireRoles(Roles.Operator, Roles.Auditor).WithTags("optouts");

        // ---- access review and audit trail (operator, auditor) ----
        app.MapGet("/api/access/review", (AccessReview access, CancellationToken ct) => access.BuildAsync(ct))
            .RequireRoles(Roles.Operator, Roles.Auditor).WithTags("audit");
        app.MapGet("/api/audit/events", async (string? actor, string? action, string? target, string? outcome, DateTimeOffset? since,
                DateTimeOffset? until, long? before, int? limit, AuditTrail trail, CancellationToken ct) =>
            (await trail.EventsAsync(new AuditQuery(actor, action, target, outcome, since, until, before, limit ?? 100), ct)).Select(AuditEventView.Of).ToList())
            .RequireRoles(Roles.Operator, Roles.Auditor).WithTags("audit");
        app.MapGet("/api/audit/operator-actions", async (DateTimeOffset? since, int? limit, AuditTrail trail, CancellationToken ct) =>
            (await trail.OperatorActionsAsync(since, limit ?? 100, ct)).Select(AuditEventView.Of).ToList())
            .RequireRoles(Roles.Operator, Roles.Auditor).WithTags("audit");
    }

    public static Actor ActorOf(ClaimsPrincipal user) =>
        new(user.SubjectOf(), user.FindAll(HygieClaims.Role).Select(c => c.Value).ToList());

    /// <summary>A date (<c>2026-06-01</c>: the day's start, or for an end the next day's start, so that the day is included) or an ISO 8601 instant.</summary>
    public static DateTimeOffset Instant(string? text, string field, bool endOfDay)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ValidationFailedException($"give --{field} as a date (yyyy-MM-dd)", field);
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return new DateTimeOffset((endOfDay ? day.AddDays(1) : day).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
            return instant.ToUniversalTime();
        throw new ValidationFailedException($"'{text}' is not a date (yyyy-MM-dd) or an ISO 8601 instant", field);
    }
}

public sealed record NewUserRequest(string? Name, string? DisplayName, string? Organisation, IReadOnlyList<string>? Roles, bool PublicConsent = false, string? Reason = null, string? Country = null);
public sealed record ReasonRequest(string? Reason);
public sealed record OptOutRequest(string? Nir, string? Reason = null)
{
    public override string ToString() => "OptOutRequest { Nir = [hidden] }";
}
public sealed record PublicationRequest(string? Reference);
public sealed record ApproveRequest(string? From, string? To, string? Reason = null);
public sealed record AccessCheckRequest(string? Dataset, string? Table, IReadOnlyList<string>? Columns);
public sealed record AccessCheckResponse(bool Allowed, string Permit, DateTimeOffset ValidTo, DateOnly DataFrom, DateOnly DataTo, bool ObjectionApplies);

/// <summary>A token just issued: <see cref="Secret"/> is shown this once and never again.</summary>
public sealed record IssuedTokenResponse(Storage.Identity.AccessToken Token, string Secret);

public sealed record AuditEventView(long Seq, DateTimeOffset Time, string Actor, string Action, string Target, string Outcome, string? Reason,
    IReadOnlyDictionary<string, string>? Details)
{
    public static AuditEventView Of(Core.Audit.AuditEvent e) =>
        new(e.Seq, e.Time, e.Actor, e.Action, e.Target, e.Outcome, e.Entry.Reason, e.Entry.Details);
}
