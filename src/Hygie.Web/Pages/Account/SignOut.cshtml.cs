using Hygie.Core.Audit;
using Hygie.Storage.Hub;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Account;

/// <summary>Ends the console session (a form post: a link could be followed by another site).</summary>
public sealed class SignOutModel(Hub hub) : ConsolePage
{
    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        if (ConsoleAuth.IsSignedIn(User))
        {
            await hub.Audit.AppendAsync(new AuditEntry(Subject, "console.signout", "console"), CancellationToken.None);
            await HttpContext.SignOutAsync(ConsoleAuth.CookieScheme);
        }
        return Redirect("/");
    }
}
