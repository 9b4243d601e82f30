using Hygie.Core.Identity;
using Hygie.Governance.Users;
using Hygie.Storage.Identity;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Operator;

/// <summary>
/// Accounts and their tokens, as <c>hygie users</c> and <c>hygie tokens</c>: add an account, issue a token (its secret
/// is shown on that one response and never again), revoke one (immediately: a console session on it ends too).
/// </summary>
[ConsoleRoles(Roles.Operator)]
public sealed class UsersModel(UserDirectory users, TokenDesk tokens) : ConsolePage
{
    public IReadOnlyList<HubUser> Users { get; private set; } = [];
    public IReadOnlyList<AccessToken> Tokens { get; private set; } = [];
    public IssuedToken? Issued { get; private set; }
    public string? Revoked { get; private set; }
    public string? Added { get; private set; }

    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? DisplayName { get; set; }
    [BindProperty] public string? Organisation { get; set; }
    [BindProperty] public List<string> NewRoles { get; set; } = [];
    [BindProperty] public bool PublicConsent { get; set; }
    [BindProperty] public string? TokenUser { get; set; }
    [BindProperty] public string? ExpiresIn { get; set; }
    [BindProperty] public string? TokenId { get; set; }
    [BindProperty] public string? Reason { get; set; }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task<IActionResult> OnPostAddAsync(CancellationToken ct)
    {
        var ok = await TryAsync(() => users.AddAsync(Actor, new NewUser((Name ?? "").Trim(), Blank(DisplayName), Blank(Organisation), NewRoles, PublicConsent),
            Blank(Reason), ct));
        if (ok) Added = Name!.Trim();
        await LoadAsync(ct);
        return ok ? Page() : Refused();
    }

    public async Task<IActionResult> OnPostIssueAsync(CancellationToken ct)
    {
        var ok = await TryAsync(async () => Issued = await tokens.IssueAsync(Actor,
            new TokenRequest(Blank(TokenUser), Blank(ExpiresIn), Description: "issued from the console", Reason: Blank(Reason)), ct),
            field => field is "user" or "expiresIn" ? $"token.{field}" : "token.user");
        await LoadAsync(ct);
        // The secret is on this response only: never cached, never in a later page.
        Response.Headers.CacheControl = "no-store";
        return ok ? Page() : Refused();
    }

    public async Task<IActionResult> OnPostRevokeAsync(CancellationToken ct)
    {
        var ok = await TryAsync(() => tokens.RevokeAsync(Actor, TokenId ?? "", Blank(Reason), ct));
        if (ok) Revoked = TokenId;
        await LoadAsync(ct);
        return ok ? Page() : Refused();
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private async Task LoadAsync(CancellationToken ct)
    {
        Users = await users.ListAsync(ct);
        Tokens = await tokens.ListAsync(null, ct: ct);
    }
}
