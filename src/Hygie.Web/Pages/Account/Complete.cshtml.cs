using Hygie.Web.Console;

namespace Hygie.Web.Pages.Account;

/// <summary>
/// The last step of a provider sign-in. The browser arrives here through the provider's redirects, a cross-site chain
/// in which it withholds SameSite=Strict cookies; this page then moves on by itself, a same-site navigation that carries
/// the new session cookie.
/// </summary>
public sealed class CompleteModel : ConsolePage
{
    public string Target { get; private set; } = "/";

    /// <summary>The page asked for; else the sign-in page, which sends a signed-in reader to their role's home.</summary>
    public void OnGet(string? returnUrl) => Target = ConsolePaths.SafeReturn(returnUrl) is "/" ? "/signin" : ConsolePaths.SafeReturn(returnUrl);
}
