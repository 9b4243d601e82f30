using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;

namespace Hygie.EndToEnd;

/// <summary>A hub with a synthetic SNDS dataset, researchers, reviewers, and one project approved through the API.</summary>
public sealed class ResearchHub : ConsoleHub
{
    public Dictionary<string, string> Tokens { get; } = new();
    public const string ApprovedProject = "cohort-2025";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        foreach (var (name, roles) in new[] { ("alice", new[] { "researcher" }), ("mallory", new[] { "researcher" }), ("carol", new[] { "reviewer" }),
                     ("dave", new[] { "reviewer" }), ("cnam", new[] { "producer" }) })
            Tokens[name] = await AccountAsync(name, roles);
        await DatasetWithClaimsAsync("dcir", Tokens["cnam"]);
        using var alice = Api(Tokens["alice"]);
        await ExpectAsync(HttpStatusCode.Created, await alice.PostAsJsonAsync("/api/projects", new
        {
            id = ApprovedProject, title = "Care pathways of a synthetic cohort", summary = "Claims of a synthetic cohort.", purpose = "Method checks.",
            sponsor = "Inserm", legalBasis = new { kind = "cnil-authorization", number = "DR-2025-101", date = "2025-03-01" },
            datasets = new[] { new { dataset = "dcir", tables = new[] { new { table = "ER_PRS_F", columns = new[] { "person_id", "EXE_SOI_DTD", "BEN_SEX_COD" } } } } },
            period = new { from = "1990-01-01", to = "2025-12-31" }, members = new[] { "alice" }, requestedDurationMonths = 12,
        }));
        await ExpectAsync(HttpStatusCode.OK, await alice.PostAsync($"/api/projects/{ApprovedProject}/submit", null));
        using var carol = Api(Tokens["carol"]);
        var today = DateTime.UtcNow.Date;
        await ExpectAsync(HttpStatusCode.OK, await carol.PostAsJsonAsync($"/api/reviews/{ApprovedProject}/approve",
            new { from = Day(today), to = Day(today.AddMonths(6)) }));
    }

    public static string Day(DateTime d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>The research path through the console, as each person does it in the browser, and the refusals on the way.</summary>
public sealed class ResearchFlowTests(ResearchHub hub) : IClassFixture<ResearchHub>
{
    [Fact]
    public async Task Researcher_applies_reviewer_approves_researcher_queries_and_releases_two_reviewers_approve_researcher_downloads()
    {
        // ---- the researcher applies ----
        var alice = await hub.PageAsync(hub.Tokens["alice"]);
        Assert.EndsWith("/me", alice.Url);
        await alice.GetByRole(AriaRole.Link, new() { Name = "Nouvelle demande d'accès" }).ClickAsync();
        await alice.GetByLabel("Identifiant (facultatif)").FillAsync("glp1-2026");
        await alice.GetByLabel("Titre").FillAsync("Complications after GLP-1 agonists");
        await alice.GetByLabel("Résumé public").FillAsync("A cohort of adults followed through their claims.");
        await alice.GetByLabel("Finalité").FillAsync("Estimate the incidence of hospitalisations.");
        await alice.GetByLabel("Responsable de traitement").FillAsync("Inserm U1018");
        await alice.GetByLabel("Nature", new() { Exact = true }).SelectOptionAsync("reference-methodology");
        await alice.GetByLabel("Méthodologie de référence").FillAsync("MR-004");
        await alice.GetByLabel("Numéro de déclaration de conformité").FillAsync("2224987");
        foreach (var column in new[] { "person_id", "EXE_SOI_DTD", "BEN_SEX_COD", "PRS_NAT_REF" })
            await alice.Locator($"input[value='dcir/ER_PRS_F/{column}']").CheckAsync();
        await alice.GetByLabel("Premier jour des données").FillAsync("1990-01-01");
        await alice.GetByLabel("Dernier jour des données").FillAsync("2025-12-31");
        await alice.GetByLabel("Durée demandée (mois)").FillAsync("12");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Enregistrer le brouillon" }).ClickAsync();
        await alice.WaitForURLAsync("**/me/projects/glp1-2026");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Soumettre au comité" }).ClickAsync();
        await Expect(alice.Locator("dd .status")).ToHaveTextAsync("soumis");
        await ConsoleHub.ShotAsync(alice, "research-1-submitted");

        // ---- a reviewer reads it beside the catalogue and approves ----
        var carol = await hub.PageAsync(hub.Tokens["carol"]);
        Assert.EndsWith("/review", carol.Url);
        await carol.GetByRole(AriaRole.Link, new() { Name = "Complications after GLP-1 agonists" }).ClickAsync();
        var table = carol.Locator("table.side-by-side");
        await Expect(table.Locator("caption")).ToContainTextAsync("4 colonne(s) demandée(s) sur");
        await Expect(table.Locator("tr.asked")).ToHaveCountAsync(4);
        Assert.True(await table.Locator("tr.not-asked").CountAsync() > 10, "the catalogue's other columns are shown beside the requested ones");
        await carol.GetByLabel("Accès jusqu'au (inclus)").FillAsync(ResearchHub.Day(DateTime.UtcNow.Date.AddMonths(6)));
        await ConsoleHub.ShotAsync(carol, "research-2-review-application");
        await carol.GetByRole(AriaRole.Button, new() { Name = "Autoriser et délivrer le permis" }).ClickAsync();
        await carol.WaitForURLAsync("**/review");
        await Expect(carol.GetByRole(AriaRole.Link, new() { Name = "Complications after GLP-1 agonists" })).ToHaveCountAsync(0);

        // ---- the researcher sees the permit and queries the workspace, a page at a time ----
        await alice.ReloadAsync();
        await Expect(alice.Locator("dd .status")).ToHaveTextAsync("autorisé");
        await Expect(alice.GetByText("en vigueur")).ToBeVisibleAsync();
        await alice.GetByRole(AriaRole.Link, new() { Name = "Espace d'analyse" }).ClickAsync();
        var tables = alice.Locator("aside.tables");
        await Expect(tables).ToContainTextAsync("ER_PRS_F");
        await Expect(tables).ToContainTextAsync("NUM_ENQ");
        await Expect(tables).Not.ToContainTextAsync("PRS_PAI_MNT");
        // a column the permit does not grant is not in the workspace: the refusal is shown next to the editor
        await alice.GetByLabel("SQL", new() { Exact = true }).FillAsync("SELECT PRS_PAI_MNT FROM ER_PRS_F");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Exécuter" }).ClickAsync();
        await Expect(alice.GetByLabel("SQL", new() { Exact = true })).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(alice.Locator("#error-sql")).ToContainTextAsync("PRS_PAI_MNT");
        await Expect(alice.Locator("table.result-table")).ToHaveCountAsync(0);
        await alice.GetByLabel("SQL", new() { Exact = true }).FillAsync("SELECT NUM_ENQ, EXE_SOI_DTD FROM ER_PRS_F ORDER BY 1, 2");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Exécuter" }).ClickAsync();
        await Expect(alice.Locator(".result [role=status]")).ToContainTextAsync("Page 1 : 50 ligne(s)");
        await Expect(alice.Locator("table.result-table tbody tr")).ToHaveCountAsync(50);
        await alice.GetByRole(AriaRole.Button, new() { Name = "Page suivante" }).ClickAsync();
        await Expect(alice.Locator(".result [role=status]")).ToContainTextAsync("Page 2 : 50 ligne(s)");
        await alice.GetByLabel("SQL", new() { Exact = true }).FillAsync("SELECT BEN_SEX_COD, count(DISTINCT NUM_ENQ) AS persons FROM ER_PRS_F GROUP BY 1 ORDER BY 1");
        await alice.GetByLabel("SQL", new() { Exact = true }).PressAsync("Control+Enter");
        await Expect(alice.Locator("table.result-table tbody tr")).ToHaveCountAsync(4);
        var history = alice.Locator("section.history tbody tr");
        await Expect(history).ToHaveCountAsync(4);
        await Expect(history.Last).ToContainTextAsync("refusé");
        await Expect(history.First).ToContainTextAsync("count(DISTINCT NUM_ENQ)");
        await ConsoleHub.ShotAsync(alice, "research-3-workspace");

        // ---- the researcher asks for a release: the hub measures it and suppresses the one-person cell ----
        await alice.GetByRole(AriaRole.Link, new() { Name = "Demander la diffusion d'un résultat agrégé" }).ClickAsync();
        await alice.GetByLabel("Nom de la sortie").FillAsync("persons by sex");
        await alice.GetByLabel("Requête des lignes à agréger").FillAsync(
            "SELECT NUM_ENQ, CASE WHEN NUM_ENQ = (SELECT min(NUM_ENQ) FROM ER_PRS_F) THEN 'X' ELSE CAST(BEN_SEX_COD AS VARCHAR) END AS sex FROM ER_PRS_F");
        await alice.GetByLabel("Dimensions").FillAsync("sex");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Demander la diffusion" }).ClickAsync();
        await alice.WaitForURLAsync("**/me/releases/*");
        var releaseUrl = alice.Url;
        await Expect(alice.Locator("dd .status")).ToHaveTextAsync("soumise");
        await Expect(alice.Locator("tr.cell-primary")).ToHaveCountAsync(1);
        await Expect(alice.GetByRole(AriaRole.Link, new() { Name = "Télécharger le tableau diffusé (CSV)" })).ToHaveCountAsync(0);

        // ---- two reviewers check the output beside its disclosure report and approve ----
        foreach (var (reviewer, shot) in new[] { ("carol", "research-4-output-check"), ("dave", "") })
        {
            var page = reviewer == "carol" ? carol : await hub.PageAsync(hub.Tokens[reviewer]);
            await page.GotoAsync("/review");
            await page.GetByRole(AriaRole.Link, new() { Name = "persons by sex" }).ClickAsync();
            var primary = page.Locator("table.output tr.cell-primary");
            await Expect(primary).ToHaveCountAsync(1);
            await Expect(primary).ToContainTextAsync("(masquée)");
            if (shot.Length > 0) await ConsoleHub.ShotAsync(page, shot);
            await page.GetByLabel("Commentaire").FillAsync($"checked by {reviewer}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Approuver", Exact = true }).ClickAsync();
            await Expect(page.Locator("dd .status")).ToHaveTextAsync(reviewer == "carol" ? "en relecture" : "diffusée");
        }

        // ---- the researcher downloads the released table: the suppressed cell is blank ----
        await alice.GotoAsync(releaseUrl);
        await Expect(alice.Locator("dd .status")).ToHaveTextAsync("diffusée");
        var download = await alice.RunAndWaitForDownloadAsync(() =>
            alice.GetByRole(AriaRole.Link, new() { Name = "Télécharger le tableau diffusé (CSV)" }).ClickAsync());
        var file = await download.PathAsync();
        var lines = (await File.ReadAllTextAsync(file)).Trim().Split('\n');
        Assert.Equal("sex,persons", lines[0]);
        Assert.Contains("X,", lines);
        Assert.Contains(lines, l => l.StartsWith("Total,", StringComparison.Ordinal));
        await ConsoleHub.ShotAsync(alice, "research-5-released");

        // ---- and the release is in the public log ----
        var citizen = await hub.PageAsync();
        await citizen.GotoAsync("/releases");
        await Expect(citizen.Locator("table.list tbody")).ToContainTextAsync("persons by sex");
        await Expect(citizen.Locator("table.list tbody")).ToContainTextAsync("dave");
    }

    [Fact]
    public async Task Pages_a_user_may_not_see_answer_403_with_the_reason_and_forms_need_their_antiforgery_token()
    {
        // a researcher opening a reviewer page
        var alice = await hub.PageAsync(hub.Tokens["alice"]);
        var response = await alice.GotoAsync("/review");
        Assert.Equal(403, response!.Status);
        await Expect(alice.Locator("h1")).ToHaveTextAsync("Accès refusé");
        await Expect(alice.Locator(".why")).ToContainTextAsync("Cette page demande le rôle relecteur");
        await Expect(alice.Locator("body")).Not.ToContainTextAsync("Exception");
        await ConsoleHub.ShotAsync(alice, "refusal-role");

        // a researcher who is not on the permit cannot see the workspace
        var mallory = await hub.PageAsync(hub.Tokens["mallory"]);
        response = await mallory.GotoAsync($"/me/projects/{ResearchHub.ApprovedProject}/workspace");
        Assert.Equal(403, response!.Status);
        await Expect(mallory.Locator(".why")).ToContainTextAsync("Vous n'êtes pas membre du permis de ce projet");
        await Expect(mallory.Locator(".rule code")).ToHaveTextAsync("member-not-on-permit");
        await Expect(mallory.Locator("aside.tables")).ToHaveCountAsync(0);
        await ConsoleHub.ShotAsync(mallory, "refusal-not-a-member");
        // nor the project itself
        response = await mallory.GotoAsync($"/me/projects/{ResearchHub.ApprovedProject}");
        Assert.Equal(404, response!.Status);

        // a form posted without its antiforgery token is refused, even with the session cookie
        var forged = await alice.APIRequest.PostAsync($"/me/projects/{ResearchHub.ApprovedProject}/workspace?handler=run",
            new() { Form = alice.APIRequest.CreateFormData().Set("Sql", "SELECT count(*) FROM ER_PRS_F"), MaxRedirects = 0 });
        Assert.Equal(400, forged.Status);
        Assert.Contains("Formulaire refusé", await forged.TextAsync());
        // the same request with the page's token runs
        await alice.GotoAsync($"/me/projects/{ResearchHub.ApprovedProject}/workspace");
        var csrf = await alice.Locator("#sql-form input[name=__csrf]").GetAttributeAsync("value");
        var genuine = await alice.APIRequest.PostAsync($"/me/projects/{ResearchHub.ApprovedProject}/workspace?handler=run",
            new() { Form = alice.APIRequest.CreateFormData().Set("Sql", "SELECT count(*) AS n FROM ER_PRS_F").Set("__csrf", csrf!), MaxRedirects = 0 });
        Assert.Equal(200, genuine.Status);
        Assert.Contains("result-table", await genuine.TextAsync());

        // a bearer token is for the API: it opens no console page
        using (var bearer = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = hub.BaseAddress })
        {
            bearer.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", hub.Tokens["alice"]);
            var viaBearer = await bearer.GetAsync("/me");
            Assert.Equal(HttpStatusCode.Redirect, viaBearer.StatusCode);
            Assert.StartsWith("/signin", viaBearer.Headers.Location!.OriginalString);
        }

        // signed out, a researcher page asks to sign in first
        var anonymous = await hub.PageAsync();
        await anonymous.GotoAsync("/me");
        Assert.Contains("/signin?returnUrl=%2Fme", anonymous.Url);

        // the refusals are in the audit log with their reason
        using var op = hub.Api(hub.OperatorToken);
        var denied = await op.GetStringAsync("/api/audit/events?action=access.denied&limit=50");
        Assert.Contains("this page needs the role reviewer", denied);
        Assert.Contains("antiforgery", denied);
        var permit = await op.GetStringAsync("/api/audit/events?actor=mallory&action=permit.check&limit=50");
        Assert.Contains("member-not-on-permit", permit);
    }

    [Fact]
    public async Task Validation_errors_show_next_to_their_field_in_the_page_language()
    {
        var alice = await hub.PageAsync(hub.Tokens["alice"]);
        await alice.GotoAsync("/me/apply");
        await alice.GetByLabel("Titre").FillAsync("A period that ends before it starts");
        await alice.GetByLabel("Résumé public").FillAsync("Summary.");
        await alice.GetByLabel("Finalité").FillAsync("Purpose.");
        await alice.GetByLabel("Responsable de traitement").FillAsync("Inserm");
        await alice.GetByLabel("Nature", new() { Exact = true }).SelectOptionAsync("cnil-authorization");
        await alice.GetByLabel("Numéro d'autorisation CNIL").FillAsync("DR-2025-7");
        await alice.GetByLabel("Date de l'autorisation").FillAsync("2025-01-10");
        await alice.Locator("input[value='dcir/ER_PRS_F/BEN_SEX_COD']").CheckAsync();
        await alice.GetByLabel("Premier jour des données").FillAsync("2021-01-01");
        await alice.GetByLabel("Dernier jour des données").FillAsync("2020-01-01");
        await alice.GetByLabel("Durée demandée (mois)").FillAsync("12");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Enregistrer le brouillon" }).ClickAsync();

        var to = alice.GetByLabel("Dernier jour des données");
        await Expect(to).ToHaveAttributeAsync("aria-invalid", "true");
        var error = alice.Locator("#" + await to.GetAttributeAsync("aria-describedby"));
        await Expect(error).ToHaveTextAsync("la période se termine (2020-01-01) avant de commencer (2021-01-01)");
        await Expect(alice.Locator(".form-error")).ToContainTextAsync("corrigez les champs signalés");
        await ConsoleHub.ShotAsync(alice, "validation-fr");

        // the same refusal in English, after the switch
        await alice.GetByRole(AriaRole.Link, new() { Name = "English" }).ClickAsync();
        await alice.GetByLabel("Title").FillAsync("A period that ends before it starts");
        await alice.GetByLabel("Public summary").FillAsync("Summary.");
        await alice.GetByLabel("Purpose").FillAsync("Purpose.");
        await alice.GetByLabel("Sponsor").FillAsync("Inserm");
        await alice.GetByLabel("Kind", new() { Exact = true }).SelectOptionAsync("cnil-authorization");
        await alice.GetByLabel("CNIL authorization number").FillAsync("DR-2025-7");
        await alice.GetByLabel("Date of the authorization").FillAsync("2025-01-10");
        await alice.Locator("input[value='dcir/ER_PRS_F/BEN_SEX_COD']").CheckAsync();
        await alice.GetByLabel("First day of data").FillAsync("2021-01-01");
        await alice.GetByLabel("Last day of data").FillAsync("2020-01-01");
        await alice.GetByLabel("Requested duration (months)").FillAsync("12");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Save the draft" }).ClickAsync();
        await Expect(alice.Locator("#error-period-to")).ToHaveTextAsync("the period ends (2020-01-01) before it starts (2021-01-01)");
        await ConsoleHub.ShotAsync(alice, "validation-en");

        // corrected, the draft is saved; then changed again through the same form
        await alice.GetByLabel("Id (optional)").FillAsync("period-fixed");
        await alice.GetByLabel("Last day of data").FillAsync("2022-12-31");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Save the draft" }).ClickAsync();
        await alice.WaitForURLAsync("**/me/projects/period-fixed");
        await Expect(alice.Locator("dd .status")).ToHaveTextAsync("draft");
        await alice.GetByRole(AriaRole.Link, new() { Name = "Change the application" }).ClickAsync();
        await Expect(alice.GetByLabel("Title")).ToHaveValueAsync("A period that ends before it starts");
        await Expect(alice.Locator("input[value='dcir/ER_PRS_F/BEN_SEX_COD']")).ToBeCheckedAsync();
        await alice.GetByLabel("Title").FillAsync("A period fixed");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Save the change" }).ClickAsync();
        await alice.WaitForURLAsync("**/me/projects/period-fixed");
        await Expect(alice.Locator("h1")).ToHaveTextAsync("A period fixed");

        // signing out ends the session
        await alice.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(alice.Locator(".session")).ToContainTextAsync("Sign in");
        await alice.GotoAsync("/me");
        Assert.Contains("/signin", alice.Url);
    }

    [Fact]
    public async Task A_reviewer_requests_changes_with_a_reason_and_outputs_can_be_returned_or_rejected()
    {
        using (var api = hub.Api(hub.Tokens["alice"]))
        {
            await ConsoleHub.ExpectAsync(HttpStatusCode.Created, await api.PostAsJsonAsync("/api/projects", new
            {
                id = "needs-work", title = "An application that needs work", summary = "Summary.", purpose = "Purpose.", sponsor = "Inserm",
                legalBasis = new { kind = "cnil-authorization", number = "DR-2025-9", date = "2025-02-01" },
                datasets = new[] { new { dataset = "dcir", tables = new[] { new { table = "ER_PRS_F", columns = new[] { "BEN_SEX_COD" } } } } },
                period = new { from = "2015-01-01", to = "2020-12-31" }, members = new[] { "alice" }, requestedDurationMonths = 6,
            }));
            await ConsoleHub.ExpectAsync(HttpStatusCode.OK, await api.PostAsync("/api/projects/needs-work/submit", null));
            foreach (var name in new[] { "to-return", "to-reject" })
                await ConsoleHub.ExpectAsync(HttpStatusCode.Created, await api.PostAsJsonAsync($"/api/projects/{ResearchHub.ApprovedProject}/releases",
                    new { name, query = "SELECT NUM_ENQ, BEN_SEX_COD FROM ER_PRS_F", by = new[] { "BEN_SEX_COD" } }));
        }

        var carol = await hub.PageAsync(hub.Tokens["carol"]);
        await carol.GetByRole(AriaRole.Link, new() { Name = "An application that needs work" }).ClickAsync();
        await carol.GetByRole(AriaRole.Button, new() { Name = "Demander des modifications" }).ClickAsync();
        await Expect(carol.Locator("#error-reason")).ToHaveTextAsync("indiquez le motif de la décision : le demandeur le lira");
        await carol.GetByLabel("Motif").FillAsync("Name the columns you need for the outcome.");
        await carol.GetByRole(AriaRole.Button, new() { Name = "Demander des modifications" }).ClickAsync();
        await carol.WaitForURLAsync("**/review");

        var alice = await hub.PageAsync(hub.Tokens["alice"]);
        await alice.GotoAsync("/me/projects/needs-work");
        await Expect(alice.Locator("dd .status")).ToHaveTextAsync("modifications demandées");
        await Expect(alice.Locator("main")).ToContainTextAsync("Name the columns you need for the outcome.");
        await Expect(alice.GetByRole(AriaRole.Button, new() { Name = "Soumettre au comité" })).ToBeVisibleAsync();

        await carol.GotoAsync("/review");
        await carol.GetByRole(AriaRole.Link, new() { Name = "to-return" }).ClickAsync();
        await carol.GetByLabel("Commentaire").FillAsync("Group the codes 0 and 9.");
        await carol.GetByRole(AriaRole.Button, new() { Name = "Renvoyer à l'auteur" }).ClickAsync();
        await Expect(carol.Locator("dd .status")).ToHaveTextAsync("renvoyée à l'auteur");
        var dave = await hub.PageAsync(hub.Tokens["dave"]);
        await dave.GotoAsync("/review");
        await Expect(dave.GetByRole(AriaRole.Link, new() { Name = "to-return" })).ToHaveCountAsync(0);
        await dave.GetByRole(AriaRole.Link, new() { Name = "to-reject" }).ClickAsync();
        await dave.GetByRole(AriaRole.Button, new() { Name = "Rejeter" }).ClickAsync();
        await Expect(dave.Locator("dd .status")).ToHaveTextAsync("rejetée");
        await Expect(dave.Locator("main")).ToContainTextAsync("Vous ne pouvez pas voter sur cette sortie");

        await alice.GotoAsync($"/me/projects/{ResearchHub.ApprovedProject}/releases");
        var rows = alice.Locator("table.list tbody tr");
        await Expect(rows.Filter(new() { HasText = "to-return" })).ToContainTextAsync("renvoyée à l'auteur");
        await Expect(rows.Filter(new() { HasText = "to-reject" })).ToContainTextAsync("rejetée");
        await ConsoleHub.ShotAsync(alice, "releases-returned-and-rejected");
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
