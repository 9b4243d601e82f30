using Hygie.Server;
using Hygie.Storage.Hub;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Account;

/// <summary>Sign in with a hub token (typed once, never stored: the session cookie names its id), or with the OpenID Connect provider when configured.</summary>
public sealed class SignInModel(Hub hub, ServerOptions server) : ConsolePage
{
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    [BindProperty(SupportsGet = true)] public string? Failed { get; set; }
    [BindProperty] public string? Token { get; set; }

    public bool OidcAvailable => server.Oidc is { CodeFlowEnabled: true };

    public IActionResult OnGet()
    {
        if (ConsoleAuth.IsSignedIn(User)) return LocalRedirect(Landing(User, ReturnUrl));
        if (Failed == "oidc") Errors.Add("provider", T["signin.oidcFailed"]);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var principal = await ConsoleAuth.SignInWithTokenAsync(HttpContext, hub, Token);
        Token = null;
        if (principal is null)
        {
            Errors.Add("token", T["signin.invalid"]);
            Response.StatusCode = 401;
            return Page();
        }
        return LocalRedirect(Landing(principal, ReturnUrl));
    }

    public IActionResult OnPostOidc()
    {
        if (!OidcAvailable) return NotFound();
        var target = "/signin/complete?returnUrl=" + Uri.EscapeDataString(ConsolePaths.SafeReturn(ReturnUrl));
        return Challenge(new AuthenticationProperties { RedirectUri = target }, ConsoleAuth.OidcScheme);
    }

    /// <summary>Where a fresh session goes: the page asked for, else the home of the reader's first role.</summary>
    public static string Landing(System.Security.Claims.ClaimsPrincipal user, string? returnUrl)
    {
        var safe = ConsolePaths.SafeReturn(returnUrl);
        if (safe != "/" && !safe.StartsWith("/signin", StringComparison.Ordinal)) return safe;
        var roles = ConsoleAuth.RolesOf(user);
        return roles.Contains(Core.Identity.Roles.Researcher) ? "/me"
            : roles.Contains(Core.Identity.Roles.Reviewer) ? "/review"
            : roles.Contains(Core.Identity.Roles.Operator) ? "/operator"
            : roles.Contains(Core.Identity.Roles.Auditor) ? "/audit" : "/";
    }
}
