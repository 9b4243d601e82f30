using Microsoft.Playwright;

namespace Hygie.EndToEnd;

/// <summary>A hub whose OpenID Connect provider is configured for the console's code flow (and for the API's JWTs).</summary>
public sealed class OidcHub : ConsoleHub
{
    public OidcProvider Provider { get; } = new();

    public override async Task InitializeAsync()
    {
        await Provider.StartAsync();
        await base.InitializeAsync();
    }

    protected override IReadOnlyDictionary<string, string> Environment(Uri hub)
    {
        var issuer = Provider.Issuer.ToString().TrimEnd('/');
        return new Dictionary<string, string>
        {
            ["HYGIE__OIDC__ISSUER"] = issuer,
            ["HYGIE__OIDC__AUDIENCE"] = "hygie-api",
            ["HYGIE__OIDC__JWKS"] = Provider.Jwks,
            ["HYGIE__OIDC__AUTHORIZATIONENDPOINT"] = issuer + "/authorize",
            ["HYGIE__OIDC__TOKENENDPOINT"] = issuer + "/token",
            ["HYGIE__OIDC__CLIENTID"] = OidcProvider.ClientId,
            ["HYGIE__OIDC__CLIENTSECRET"] = OidcProvider.ClientSecret,
        };
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Provider.DisposeAsync();
    }
}

public sealed class OidcSignInTests(OidcHub hub) : IClassFixture<OidcHub>
{
    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [Fact]
    public async Task A_researcher_signs_in_through_the_provider_and_a_provider_account_without_hub_roles_is_refused()
    {
        hub.Provider.NextUser = ("alice", ["researcher", "not-a-hub-role"]);
        var page = await hub.PageAsync();
        await page.GotoAsync("/signin?returnUrl=%2Fme");
        await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter avec le fournisseur d'identité" }).ClickAsync();
        // a generous bound: the hub's first code exchange may wait for a busy machine; the message says where the browser stopped
        try { await page.WaitForURLAsync("**/me", new() { Timeout = 90_000 }); }
        catch (TimeoutException) { Assert.Fail($"the sign-in stopped at {page.Url} after {hub.Provider.TokensIssued} token(s) issued"); }
        await Expect(page.Locator(".who")).ToHaveTextAsync("Connecté : alice");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Mes projets");
        Assert.Equal(1, hub.Provider.TokensIssued);
        // the session is the hub's cookie: HttpOnly, SameSite=Strict, and it holds no provider token
        var cookies = await page.Context.CookiesAsync();
        var session = Assert.Single(cookies, c => c.Name == "hygie.console");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.DoesNotContain(cookies, c => c.Name.StartsWith(".AspNetCore.OpenIdConnect", StringComparison.Ordinal));
        // the provider gave no reviewer role: reviewer pages stay closed
        var response = await page.GotoAsync("/review");
        Assert.Equal(403, response!.Status);
        await ConsoleHub.ShotAsync(page, "oidc-signed-in");

        hub.Provider.NextUser = ("bob", ["not-a-hub-role"]);
        var other = await hub.PageAsync();
        await other.GotoAsync("/signin");
        await other.GetByRole(AriaRole.Button, new() { Name = "Se connecter avec le fournisseur d'identité" }).ClickAsync();
        await other.WaitForURLAsync("**/signin?failed=oidc");
        await Expect(other.Locator("main")).ToContainTextAsync("La connexion par le fournisseur d'identité a échoué");
        await Expect(other.Locator(".session")).ToContainTextAsync("Se connecter");

        using var op = hub.Api(hub.OperatorToken);
        var audit = await op.GetStringAsync("/api/audit/events?action=console.signin&limit=20");
        Assert.Contains("\"method\":\"oidc\"", audit);
        Assert.Contains("\"actor\":\"alice\"", audit);
    }
}
