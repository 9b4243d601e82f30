using Hl7.Fhir.Model;
using Hygie.Core.Audit;
using Hygie.Fhir.Search;
using Hygie.Fhir.Storage;

namespace Hygie.Fhir.Rest;

/// <summary>
/// The writes of one database transaction (a single interaction or a whole transaction Bundle): every resource goes
/// through here, so that tenant checks, subscriptions bookkeeping, alert rules, the outbox of notifications and the
/// audit entries are applied to all of them alike, and committed together.
/// </summary>
public sealed class WriteSession(FhirStore store, SqlSession sql, FhirRequestContext ctx, DateTimeOffset now)
{
    public SqlSession Sql => sql;
    public FhirRequestContext Context => ctx;
    public DateTimeOffset Now => now;
    public FhirStore Store => store;
    public List<AuditEntry> Audit { get; } = [];
    public List<WrittenVersion> Written { get; } = [];

    /// <summary>True once a Subscription was written or deleted: the delivery routing cache must be reloaded.</summary>
    public bool SubscriptionsChanged { get; private set; }

    /// <summary>True once a notification was put in the outbox: the delivery worker is woken after the commit.</summary>
    public bool NotificationsQueued { get; set; }

    /// <summary>Writes a new version of <paramref name="resource"/> (id set) after <paramref name="current"/>.</summary>
    public async Task<WrittenVersion> WriteAsync(Resource resource, CurrentRow? current, string method, ResourceIndex? index = null)
    {
        References.CheckTenant(resource, ctx);
        Subscriptions.SubscriptionSecret? secret = null;
        if (resource is Subscription subscription)
        {
            secret = await store.Subscriptions.PrepareAsync(this, subscription, current);
            index = null;
        }
        var written = await ResourceRepository.WriteAsync(sql, ctx.Tenant, resource, current, method, now, index);
        if (resource is Subscription s && secret is { } signing)
        {
            await store.Subscriptions.SaveAsync(this, s, signing);
            SubscriptionsChanged = true;
            // Stored without its secret; a secret the server just made is shown in this answer only.
            if (signing.Generated) written = written with { Json = Subscriptions.SubscriptionService.WithSecret(written.Json!, signing.Value) };
        }
        Written.Add(written);
        Audit.Add(ctx.Audit(written.Created ? "fhir.create" : "fhir.update", $"{written.Type}/{written.Id}", written.Patient,
            new Dictionary<string, string> { ["version"] = written.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), ["method"] = method }));
        return written;
    }

    public async Task<WrittenVersion> DeleteAsync(CurrentRow current)
    {
        var written = await ResourceRepository.DeleteAsync(sql, ctx.Tenant, current, now);
        if (current.Type == "Subscription")
        {
            await store.Subscriptions.RemoveAsync(this, current.Id);
            SubscriptionsChanged = true;
        }
        Written.Add(written);
        Audit.Add(ctx.Audit("fhir.delete", $"{written.Type}/{written.Id}", written.Patient,
            new Dictionary<string, string> { ["version"] = written.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        return written;
    }

    /// <summary>
    /// Runs the alert rules on every Observation written (their alerts are written in this transaction too), then puts
    /// a notification in the outbox for every active subscription whose criteria a written resource now matches.
    /// </summary>
    public async Task FinishAsync()
    {
        var observations = Written.Where(w => !w.Deleted && w.Resource is Observation).ToList();
        foreach (var written in observations)
            await store.Alerts.EvaluateAsync(this, written);
        await store.Subscriptions.EnqueueMatchesAsync(this);
    }
}
