using Hygie.Core.Identity;
using Hygie.Storage.Hub;
using Hygie.Storage.Operations;
using Hygie.Web.Console;

namespace Hygie.Web.Pages.Operator;

/// <summary>The declared locations with the policy's verdict on each, key custody and the placement policy: <c>hygie compliance report</c>, with paths.</summary>
[ConsoleRoles(Roles.Operator)]
public sealed class LocationsModel(Hub hub) : ConsolePage
{
    public ComplianceReport Report { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken ct) => Report = await ComplianceReport.BuildAsync(hub, ct);
}
