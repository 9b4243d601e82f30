using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Hygie.EndToEnd;

/// <summary>A hub whose registry holds an approved project, a submitted one, an exempt permanent access and a draft never submitted.</summary>
public sealed class RegistryHub : ConsoleHub
{
    public Dictionary<string, string> Tokens { get; } = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var alice = Tokens["alice"] = await AccountAsync("alice", "researcher");
        var carol = Tokens["carol"] = await AccountAsync("carol", "reviewer");
        await DatasetWithClaimsAsync("dcir", await AccountAsync("cnam", "producer"));
        using var api = Api(alice);
        async Task ApplyAsync(string id, string title, object legalBasis, bool submit)
        {
            await ExpectAsync(HttpStatusCode.Created, await api.PostAsJsonAsync("/api/projects", new
            {
                id, title, summary = $"Public summary of {title}.", purpose = "Research.", sponsor = "Inserm U1018", legalBasis,
                datasets = new[] { new { dataset = "dcir", tables = new[] { new { table = "ER_PRS_F", columns = new[] { "person_id", "BEN_SEX_COD" } } } } },
                period = new { from = "2015-01-01", to = "2024-12-31" }, members = new[] { "alice" }, requestedDurationMonths = 24,
            }));
            if (submit) await ExpectAsync(HttpStatusCode.OK, await api.PostAsync($"/api/projects/{id}/submit", null));
        }
        await ApplyAsync("diabetes-2025", "Diabetes complications", new { kind = "reference-methodology", methodology = "MR-004", declaration = "2224987" }, true);
        await ApplyAsync("asthma-2026", "Asthma in children", new { kind = "cnil-authorization", number = "DR-2026-044", date = "2026-01-15" }, true);
        await ApplyAsync("cnam-monitoring", "National monitoring of care", new { kind = "permanent-access", reference = "Code de la sécurité sociale, art. R1461-12", objectionExempt = true }, true);
        await ApplyAsync("draft-only", "A draft nobody submitted", new { kind = "cnil-authorization", number = "DR-1", date = "2026-01-01" }, false);
        using var reviewer = Api(carol);
        var today = DateTime.UtcNow.Date;
        await ExpectAsync(HttpStatusCode.OK, await reviewer.PostAsJsonAsync("/api/reviews/diabetes-2025/approve",
            new { from = ResearchHub.Day(today), to = ResearchHub.Day(today.AddMonths(12)) }));
    }
}

/// <summary>What a citizen reads without an account.</summary>
public sealed class PublicPagesTests(RegistryHub hub) : IClassFixture<RegistryHub>
{
    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    [Fact]
    public async Task A_citizen_reads_the_registry_the_catalogue_the_release_log_transparency_and_how_to_object()
    {
        var page = await hub.PageAsync();
        await page.GotoAsync("/");
        var rows = page.Locator("table.list tbody tr");
        await Expect(page.Locator(".count")).ToHaveTextAsync("3 projet(s) affiché(s) sur 3");
        await Expect(page.Locator("table.list")).Not.ToContainTextAsync("A draft nobody submitted");

        await page.GetByLabel("Statut").SelectOptionAsync("approved");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filtrer" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToContainTextAsync("Diabetes complications");
        await Expect(rows).ToContainTextAsync("autorisé");

        await page.GotoAsync("/?basis=permanent-access");
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToContainTextAsync("National monitoring of care");

        await page.GotoAsync("/");
        await page.GetByLabel("Recherche", new() { Exact = true }).FillAsync("asthma");
        await page.GetByLabel("Jeu de données").SelectOptionAsync("dcir");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filtrer" }).ClickAsync();
        await Expect(rows).ToHaveCountAsync(1);
        await Expect(rows).ToContainTextAsync("Asthma in children");

        // one page per project
        await page.GotoAsync("/");
        await page.GetByRole(AriaRole.Link, new() { Name = "Diabetes complications" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Diabetes complications");
        var facts = page.Locator("dl.facts");
        await Expect(facts).ToContainTextAsync("MR-004, declaration 2224987");
        await Expect(facts).ToContainTextAsync("s'applique : les personnes opposées sont exclues");
        var fr = CultureInfo.GetCultureInfo("fr-FR");
        var today = DateTime.UtcNow.Date;
        await Expect(facts).ToContainTextAsync($"du {today.ToString("d MMMM yyyy", fr)} au {today.AddMonths(12).ToString("d MMMM yyyy", fr)}");
        await Expect(page.Locator("main")).ToContainTextAsync("Dr Alice (Inserm)");
        await ConsoleHub.ShotAsync(page, "citizen-project");

        // the catalogue: tables, columns and their descriptions, counts rounded
        await page.GetByRole(AriaRole.Link, new() { Name = "Catalogue" }).ClickAsync();
        var prs = page.Locator("details.table-entry", new() { HasText = "ER_PRS_F" });
        await Expect(prs.Locator("summary")).ToContainTextAsync("lignes : moins de 1 000");
        await prs.Locator("summary").ClickAsync();
        await Expect(prs.Locator("tbody")).ToContainTextAsync("EXE_SOI_DTD");
        await Expect(prs.Locator("tbody")).ToContainTextAsync("person_id");
        await Expect(prs.Locator("tbody")).Not.ToContainTextAsync("BEN_NIR_PSA");
        Assert.DoesNotContain("238", await prs.Locator("summary").InnerTextAsync());
        await ConsoleHub.ShotAsync(page, "citizen-catalogue");

        await page.GetByRole(AriaRole.Link, new() { Name = "Diffusions" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Journal des diffusions");
        await Expect(page.Locator("main")).ToContainTextAsync("Aucune diffusion pour l'instant.");

        await page.GetByRole(AriaRole.Link, new() { Name = "Transparence" }).ClickAsync();
        await Expect(page.Locator("main")).ToContainTextAsync("Politique de développement");
        await Expect(page.Locator("table.list").First).ToContainTextAsync("local-objects");
        await Expect(page.Locator("main")).ToContainTextAsync("Garde des clés");
        await Expect(page.Locator("main")).Not.ToContainTextAsync("keyring.json");
        await ConsoleHub.ShotAsync(page, "citizen-transparency");

        await page.GetByRole(AriaRole.Link, new() { Name = "S'opposer" }).ClickAsync();
        await Expect(page.Locator("main")).ToContainTextAsync("s'applique aujourd'hui à 2 projet(s)");
        await Expect(page.Locator("main ul").Last).ToContainTextAsync("National monitoring of care");
        await ConsoleHub.ShotAsync(page, "citizen-opt-out");

        // the same registry in English, dates and numbers as English writes them
        await page.GotoAsync("/registry/diabetes-2025");
        await page.GetByRole(AriaRole.Link, new() { Name = "English" }).ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        var en = CultureInfo.GetCultureInfo("en-GB");
        await Expect(page.Locator("dl.facts")).ToContainTextAsync($"from {today.ToString("d MMMM yyyy", en)} to {today.AddMonths(12).ToString("d MMMM yyyy", en)}");
        await page.GotoAsync("/");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Research project registry");
        await Expect(page.Locator(".count")).ToHaveTextAsync("3 of 3 project(s) shown");
        await page.GotoAsync("/catalogue");
        await Expect(page.Locator("details.table-entry summary").First).ToContainTextAsync("fewer than 1,000");
        await ConsoleHub.ShotAsync(page, "citizen-registry-en");
    }

    [Fact]
    public async Task Unknown_pages_answer_404_in_the_readers_language_and_the_json_routes_are_untouched()
    {
        var page = await hub.PageAsync();
        var response = await page.GotoAsync("/registry/draft-only");
        Assert.Equal(404, response!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Page introuvable");
        response = await page.GotoAsync("/no/such/page");
        Assert.Equal(404, response!.Status);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Page introuvable");
        await ConsoleHub.ShotAsync(page, "not-found");

        // console pages carry the security headers; the API and public JSON keep their own answers
        var home = await page.APIRequest.GetAsync("/");
        Assert.Contains("default-src 'self'", home.Headers["content-security-policy"]);
        Assert.Contains("frame-ancestors 'none'", home.Headers["content-security-policy"]);
        Assert.Equal("nosniff", home.Headers["x-content-type-options"]);
        var json = await page.APIRequest.GetAsync("/public/projects");
        Assert.StartsWith("application/json", json.Headers["content-type"]);
        Assert.False(json.Headers.ContainsKey("content-security-policy"));
        var api = await page.APIRequest.GetAsync("/api/no-such-route");
        Assert.Equal(404, api.Status);
        Assert.StartsWith("application/problem+json", api.Headers["content-type"]);
        // the page's markup holds no inline script or style: the policy would block them
        var html = await home.TextAsync();
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("style=", html);
        Assert.DoesNotContain("<style", html);
    }

    [Fact]
    public async Task Pages_have_no_serious_accessibility_violation()
    {
        var failures = new List<string>();
        async Task CheckAsync(string? token, params string[] paths)
        {
            // axe's script is injected inline: only this context lifts the content security policy.
            var context = await hub.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = hub.BaseAddress.ToString(), BypassCSP = true });
            var page = await context.NewPageAsync();
            if (token is not null)
            {
                await page.GotoAsync("/signin");
                await page.GetByLabel("Jeton d'accès").FillAsync(token);
                await page.GetByRole(AriaRole.Button, new() { Name = "Se connecter", Exact = true }).ClickAsync();
                await page.WaitForURLAsync(u => !u.Contains("/signin", StringComparison.Ordinal));
            }
            foreach (var path in paths)
            {
                await page.GotoAsync(path);
                var results = await page.RunAxe();
                if (results.Passes.Length == 0) failures.Add($"{path}: axe checked nothing");
                failures.AddRange(results.Violations.Where(v => v.Impact is "serious" or "critical")
                    .Select(v => $"{path}: {v.Id} ({v.Impact}) {v.Help} — {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}"));
            }
            await context.CloseAsync();
        }
        await CheckAsync(null, "/", "/registry/diabetes-2025", "/catalogue", "/releases", "/transparency", "/opt-out", "/signin", "/no/such/page");
        await CheckAsync(hub.Tokens["alice"], "/me", "/me/apply", "/me/projects/diabetes-2025", "/review");
        await CheckAsync(hub.Tokens["carol"], "/review", "/review/applications/asthma-2026");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
