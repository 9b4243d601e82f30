using Hygie.Core.Audit;
using Hygie.Fhir.Alerts;
using Hygie.Fhir.Bulk;
using Hygie.Fhir.Bundles;
using Hygie.Fhir.Rest;
using Hygie.Fhir.Storage;
using Hygie.Fhir.Subscriptions;
using Hygie.Fhir.Tenants;
using Hygie.Storage.Hub;

namespace Hygie.Fhir;

/// <summary>
/// The FHIR store of a hub: tenants, resources (sealed per tenant), search, bundles, alert rules, subscriptions and bulk
/// export. Transport-neutral: the server turns HTTP requests into calls here and <see cref="FhirResult"/>s back into
/// responses. Every read and write is audited; writes and their audit entries commit together.
/// </summary>
public sealed class FhirStore
{
    public FhirStore(Hub hub, FhirOptions? options = null)
    {
        Hub = hub;
        Options = options ?? new FhirOptions();
        Tenants = new TenantStore(hub);
        Alerts = new AlertEngine(this);
        Subscriptions = new SubscriptionService(this);
        Exports = new BulkExportService(this);
    }

    public Hub Hub { get; }
    public FhirOptions Options { get; }
    public TenantStore Tenants { get; }
    public AlertEngine Alerts { get; }
    public SubscriptionService Subscriptions { get; }
    public BulkExportService Exports { get; }

    /// <summary>Passes of the webhook delivery worker (each sends everything due when it starts).</summary>
    public BackgroundPasses DeliveryPasses { get; } = new();

    /// <summary>Passes of the "no reading for a period" check.</summary>
    public BackgroundPasses AbsencePasses { get; } = new();

    /// <summary>Passes of the export worker (each runs every queued job).</summary>
    public BackgroundPasses ExportPasses { get; } = new();

    /// <summary>Raised after a commit that put notifications in the outbox (the delivery worker listens).</summary>
    public event Action? NotificationsQueued;

    /// <summary>Raised when an export is requested (the export worker listens).</summary>
    public event Action? ExportRequested;

    internal void OnExportRequested() => ExportRequested?.Invoke();

    public async Task<TenantContext> OpenTenantAsync(string tenantId, CancellationToken ct = default) =>
        await TenantContext.OpenAsync(Hub, await Tenants.GetAsync(tenantId, ct), Options.SealResources, ct);

    /// <summary>
    /// Opens a request on <paramref name="tenantId"/>'s data: the tenant must exist and the caller's token must be this
    /// tenant's (403 otherwise, whatever its scopes).
    /// </summary>
    public async Task<FhirRequestContext> OpenAsync(string tenantId, FhirCaller caller, string baseUrl, bool strictHandling = false,
        ReturnPreference returnPreference = ReturnPreference.Representation, CancellationToken ct = default)
    {
        var tenant = await Tenants.FindAsync(tenantId, ct) ?? throw FhirException.NotFound($"there is no FHIR tenant '{tenantId}' on this hub");
        if (caller.Tenant != tenantId)
            throw FhirException.Forbidden(caller.Tenant is null
                ? $"this token is not a tenant token: FHIR data of tenant {tenantId} needs a token issued for it"
                : $"this token belongs to another tenant: it cannot reach tenant {tenantId}");
        if (caller.Scopes.IsEmpty)
            throw FhirException.Forbidden("this token carries no SMART scope (e.g. user/*.read, patient/Observation.write)");
        var context = await TenantContext.OpenAsync(Hub, tenant, Options.SealResources, ct);
        return new FhirRequestContext(context, caller, baseUrl, strictHandling, returnPreference);
    }

    /// <summary>
    /// Refuses (403, naming the rule) when the hub's own stores may not hold a tenant's data (<see cref="TenantStore.Classification"/>)
    /// under the placement policy. The verdict is cached until the policy or a location changes: no metadata read per write.
    /// </summary>
    public async ValueTask EnsurePlacementAllowedAsync(string operation, CancellationToken ct = default)
    {
        try
        {
            await Hub.Placement.EnsureHubStoresAllowedCachedAsync(TenantStore.Classification, operation, ct);
        }
        catch (Hygie.Core.Errors.PolicyViolationException e)
        {
            throw new FhirException(403, "forbidden", e.Message, code: e.Code);
        }
    }

    /// <summary>Runs writes in one transaction with their audit entries, then wakes the delivery worker if needed.</summary>
    public async Task<T> RunWriteAsync<T>(FhirRequestContext ctx, Func<WriteSession, Task<T>> work, string action, string target, CancellationToken ct = default)
    {
        WriteSession? session = null;
        try
        {
            await EnsurePlacementAllowedAsync($"writing FHIR data of tenant {ctx.Tenant.Id}", ct);
            var (result, _) = await Hub.Audit.CommitWithAsync<T>(async (connection, tx) =>
            {
                await using var sql = new SqlSession(connection, tx);
                session = new WriteSession(this, sql, ctx, Hub.Clock.GetUtcNow());
                var result = await work(session);
                await session.FinishAsync();
                return (result, session.Audit);
            }, ct);
            if (session!.NotificationsQueued) NotificationsQueued?.Invoke();
            return result;
        }
        catch (FhirException e)
        {
            // Refused or failed writes leave an audit event too — with the status and issue code, never the diagnostics
            // (which may quote the submitted data).
            await Hub.Audit.AppendAsync(ctx.Audit(action, target, null, new Dictionary<string, string> { ["status"] = e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                e.Status is 401 or 403 ? AuditOutcome.Refused : AuditOutcome.Failed) with { Reason = $"{e.Status} {e.IssueCode}" }, ct);
            throw;
        }
    }

    /// <summary>Writes done by the hub itself for a tenant (alerts of absent readings).</summary>
    public async Task RunSystemWriteAsync(string tenantId, string actor, Func<WriteSession, Task> work, CancellationToken ct = default)
    {
        var tenant = await OpenTenantAsync(tenantId, ct);
        var ctx = new FhirRequestContext(tenant, new FhirCaller(actor, tenantId, new SmartScopes(["system/*.*"])),
            $"urn:hygie:fhir/{tenantId}/", strictHandling: true, ReturnPreference.Minimal);
        await RunWriteAsync(ctx, async s => { await work(s); return 0; }, "fhir.system-write", "", ct);
    }

    /// <summary>Runs a read-only interaction on its own connection; its audit entry is committed before the answer goes out.</summary>
    public async Task<FhirResult> RunReadAsync(Func<SqlSession, Task<(FhirResult Result, AuditEntry? Audit)>> read, CancellationToken ct = default)
    {
        FhirResult result;
        AuditEntry? audit;
        await using (var connection = await Hub.Metadata.OpenConnectionAsync(ct))
        await using (var sql = new SqlSession(connection, null))
            (result, audit) = await read(sql);
        if (audit is not null) await Hub.Audit.AppendAsync(audit, ct);
        return result;
    }

    /// <summary>One REST interaction (not a Bundle): create, update, patch, delete, read, vread, history or search.</summary>
    public Task<FhirResult> ExecuteAsync(FhirRequestContext ctx, EntryOperation op, CancellationToken ct = default)
    {
        if (op.IsWrite)
        {
            var target = op.Identity ?? op.Type;
            return RunWriteAsync(ctx, s => Interactions.WriteAsync(s, op), $"fhir.{op.Method.ToLowerInvariant()}", target, ct);
        }
        var query = op.QueryPairs().ToList();
        var now = Hub.Clock.GetUtcNow();
        return RunReadAsync(async sql =>
        {
            if (op.History) return await Interactions.HistoryAsync(sql, ctx, op.Type, op.Id, query, Options, now);
            if (op.Id is not null) return await Interactions.ReadAsync(sql, ctx, op, SearchParamsForRead.From(query));
            return await Interactions.SearchAsync(sql, ctx, op.Type, query, Options, now);
        }, ct);
    }

    public Task<FhirResult> SystemHistoryAsync(FhirRequestContext ctx, IEnumerable<KeyValuePair<string, string>> query, CancellationToken ct = default)
    {
        var now = Hub.Clock.GetUtcNow();
        var list = query.ToList();
        return RunReadAsync(async sql => await Interactions.HistoryAsync(sql, ctx, null, null, list, Options, now), ct);
    }

    /// <summary>A batch or transaction Bundle.</summary>
    public Task<FhirResult> BundleAsync(FhirRequestContext ctx, byte[] body, CancellationToken ct = default) =>
        new BundleProcessor(this).ProcessAsync(ctx, body, ct);

    public Task<FhirResult> SubscriptionStatusAsync(FhirRequestContext ctx, string id, CancellationToken ct = default) =>
        RunReadAsync(async sql => (new FhirResult(200, await Subscriptions.StatusAsync(sql, ctx, id)),
            ctx.Audit("fhir.read", $"Subscription/{id}/$status", null)), ct);
}
