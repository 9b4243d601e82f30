using Hygie.Core.Errors;
using Hygie.Governance;
using Hygie.Server.Auth;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Web.Pages;

/// <summary>A console page: who asks (as the API sees them) and the refusals of its forms, by field.</summary>
public abstract class ConsolePage : PageModel
{
    public FormErrors Errors { get; } = new();

    protected ConsoleText T => HttpContext.RequestServices.GetRequiredService<ConsoleText>();

    protected Actor Actor => ConsoleAuth.ActorOf(User);

    protected string Subject => User.SubjectOf();

    protected IReadOnlyList<string> UserRoles => ConsoleAuth.RolesOf(User);

    /// <summary>
    /// Runs a form's action; a refusal the user can fix (invalid field, conflict, rule) is kept for the page, with the
    /// API's status. Other errors go to the console's error page.
    /// </summary>
    protected async Task<bool> TryAsync(Func<Task> action, Func<string, string>? fieldOf = null)
    {
        try
        {
            await action();
            return true;
        }
        catch (HygieException e) when (e.Status is >= 400 and < 500)
        {
            Errors.Add(e, T, fieldOf);
            return false;
        }
    }

    /// <summary>The page again, with the status of its refusal.</summary>
    protected IActionResult Refused()
    {
        Response.StatusCode = Errors.Status ?? 400;
        return Page();
    }
}
