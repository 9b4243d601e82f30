using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Storage.Operations;

namespace Hygie.Web.Pages.Public;

/// <summary>Where the data lives and under which law, who holds the keys, the placement policy, accesses from outside the EEA: the public compliance report.</summary>
public sealed class TransparencyModel(Hub hub, TransparencyModule.TransparencyCache cache) : ConsolePage
{
    public ComplianceReport Report { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken ct) => Report = await cache.GetAsync(hub, ct);
}
