using Hygie.Core.Identity;
using Hygie.Governance.OptOuts;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Operator;

/// <summary>
/// Records a citizen's objection, as <c>hygie optout add</c>: the NIR comes in the form's body, becomes a hub pseudonym
/// and is never written back (not even into the form after an error).
/// </summary>
[ConsoleRoles(Roles.Operator)]
public sealed class OptOutsModel(OptOutRegistry optOuts) : ConsolePage
{
    public long Count { get; private set; }
    public OptOutReceipt? Receipt { get; private set; }

    [BindProperty] public string? Nir { get; set; }
    [BindProperty] public string? Reason { get; set; }

    public async Task OnGetAsync(CancellationToken ct) => Count = await optOuts.CountAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var nir = Nir;
        Nir = null;
        var ok = await TryAsync(async () => Receipt = await optOuts.AddAsync(Actor, nir, string.IsNullOrWhiteSpace(Reason) ? null : Reason.Trim(), ct), _ => "nir");
        Count = await optOuts.CountAsync(ct);
        return ok ? Page() : Refused();
    }
}
