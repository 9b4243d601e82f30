using Hygie.Server.Analysis;

namespace Hygie.Web.Pages.Public;

/// <summary>The public release log: every output that left the hub, with its project and the reviewer who released it.</summary>
public sealed class ReleasesModel(Airlock airlock) : ConsolePage
{
    public IReadOnlyList<PublicRelease> Releases { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) => Releases = (await airlock.PublicLogAsync(ct)).Reverse().ToList();
}
