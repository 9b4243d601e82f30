using Hygie.Core.Audit;
using Hygie.Core.Identity;
using Hygie.Server.Endpoints;
using Hygie.Storage.Audit;
using Hygie.Storage.Hub;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Operator;

/// <summary>
/// The operator's view of the hub: the stores' health, the audit chain (head, last signed checkpoint, the last
/// verification and a verification on demand), and the activity per day (deposits, queries, releases).
/// </summary>
[ConsoleRoles(Roles.Operator)]
public sealed class IndexModel(Hub hub, ActivityChart chart) : ConsolePage
{
    public IReadOnlyDictionary<string, string> Health { get; private set; } = new Dictionary<string, string>();
    public AuditHead Head { get; private set; } = null!;
    public AuditEvent? LastVerification { get; private set; }
    public AuditVerification? Verification { get; private set; }
    public IReadOnlyList<ActivityDay> Activity { get; private set; } = [];

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    /// <summary>Verifies the whole chain now, as <c>hygie audit verify</c> would an export: streamed, never held whole in memory.</summary>
    public async Task OnPostVerifyAsync(CancellationToken ct)
    {
        Verification = await hub.Audit.VerifyAsync(hub.Vault.SigningPublicKey, ct);
        await hub.Audit.AppendAsync(new AuditEntry(Subject, "audit.verify", hub.HubId, Verification.Intact ? AuditOutcome.Success : AuditOutcome.Failed,
            Verification.Problem, new Dictionary<string, string> { ["events"] = Verification.Events.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            CancellationToken.None);
        await LoadAsync(ct);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Health = await HealthEndpoints.ReadinessAsync(hub, ct);
        Head = await hub.Audit.HeadAsync(ct);
        LastVerification = (await hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "audit.verify", Limit: 1), ct)).FirstOrDefault()
                           ?? (await hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "hub.verify", Limit: 1), ct)).FirstOrDefault();
        Activity = await chart.DaysAsync(ct);
    }
}
