using System.Net;
using System.Text;
using Hygie.Core.Audit;
using Hygie.Testing;
using Microsoft.Playwright;

namespace Hygie.EndToEnd;

/// <summary>The operator's and the auditor's console on a hub where a producer deposits.</summary>
public sealed class OperatorTests(ConsoleHub hub) : IClassFixture<ConsoleHub>
{
    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
    private static IPageAssertions Expect(IPage page) => Assertions.Expect(page);

    [Fact]
    public async Task An_operator_creates_a_dataset_and_sees_a_deposits_report()
    {
        var producer = await hub.AccountAsync("cnam", "producer");
        var op = await hub.PageAsync(hub.OperatorToken);
        Assert.EndsWith("/operator", op.Url);
        await op.GetByRole(AriaRole.Link, new() { Name = "Jeux de données et dépôts" }).ClickAsync();

        // a name the deposit module refuses, shown next to the field
        await op.GetByLabel("Nom", new() { Exact = true }).FillAsync("PMSI 2024");
        await op.GetByRole(AriaRole.Button, new() { Name = "Créer (avec sa clé de données)" }).ClickAsync();
        await Expect(op.Locator("#error-name")).ToHaveTextAsync("un nom de jeu de données compte 1 à 63 minuscules, chiffres, - ou _");
        await op.GetByLabel("Nom", new() { Exact = true }).FillAsync("pmsi-2024");
        await op.GetByRole(AriaRole.Button, new() { Name = "Créer (avec sa clé de données)" }).ClickAsync();
        await op.WaitForURLAsync("**/operator/datasets/pmsi-2024");
        await Expect(op.Locator("main")).ToContainTextAsync("Aucun dépôt.");

        // the producer deposits one file with a bad row, in quarantine mode, and one that is refused
        var lines = await File.ReadAllLinesAsync(TestData.PathOf("snds-synthetic", "ER_PRS_F.csv"));
        var header = lines[0].Split(';');
        var column = Array.IndexOf(header, "EXE_SOI_DTD");
        var fields = lines[7].Split(';');
        fields[column] = "notadateXYZ";
        lines[7] = string.Join(';', fields);
        var body = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        using (var api = hub.Api(producer))
        {
            await ConsoleHub.ExpectAsync(HttpStatusCode.OK, await api.PostAsync("/api/datasets/pmsi-2024/deposits?table=ER_PRS_F&onError=quarantine", new ByteArrayContent(body)));
            await ConsoleHub.ExpectAsync(HttpStatusCode.BadRequest, await api.PostAsync("/api/datasets/pmsi-2024/deposits?table=ER_PRS_F", new ByteArrayContent(body)));
        }
        await op.ReloadAsync();
        var stored = op.Locator("section.deposit-stored");
        await Expect(stored).ToHaveCountAsync(1);
        await Expect(stored.Locator("h3")).ToContainTextAsync("ER_PRS_F");
        await Expect(stored.Locator("dl.facts")).ToContainTextAsync("237");
        await Expect(stored.Locator("ul.report-lines")).ToContainTextAsync("line 8");
        await Expect(stored.Locator("ul.report-lines")).ToContainTextAsync("EXE_SOI_DTD");
        var refused = op.Locator("section.deposit-refused");
        await Expect(refused).ToHaveCountAsync(1);
        await Expect(refused.Locator(".status")).ToHaveTextAsync("refusé");
        await Expect(op.Locator("main")).Not.ToContainTextAsync("notadateXYZ");
        await ConsoleHub.ShotAsync(op, "operator-deposit-report");

        // the activity chart counts today's deposit, with its table alternative
        await op.GotoAsync("/operator");
        await Expect(op.Locator("figure.chart svg rect.bar-deposits")).ToHaveCountAsync(14);
        var todayRow = op.Locator("#activity-table tbody tr").Last;
        await Expect(todayRow.Locator("td").Nth(0)).ToHaveTextAsync("1");
        await Expect(op.Locator("#health-title + ul")).ToContainTextAsync("Métadonnées : disponible");
        await op.GetByRole(AriaRole.Button, new() { Name = "Vérifier toute la chaîne maintenant" }).ClickAsync();
        await Expect(op.Locator("section[aria-labelledby=chain-title] [role=status]")).ToContainTextAsync("Chaîne intacte");
        await Expect(op.Locator("section[aria-labelledby=chain-title] dl")).ToContainTextAsync("par operator : réussi");
        await ConsoleHub.ShotAsync(op, "operator-overview");

        // locations and policy, with the paths operators may see
        await op.GotoAsync("/operator/locations");
        await Expect(op.Locator("table.list").First).ToContainTextAsync("local-objects");
        await Expect(op.Locator("table.list").First).ToContainTextAsync("keyring.json");
    }

    [Fact]
    public async Task An_operator_manages_accounts_and_tokens_and_a_revoked_token_ends_its_session()
    {
        var op = await hub.PageAsync(hub.OperatorToken);
        await op.GotoAsync("/operator/users");
        await op.GetByLabel("Compte", new() { Exact = true }).FillAsync("erin");
        await op.GetByLabel("Nom complet").FillAsync("Erin Martin");
        await op.GetByLabel("relecteur").CheckAsync();
        await op.GetByRole(AriaRole.Button, new() { Name = "Ajouter", Exact = true }).ClickAsync();
        await Expect(op.Locator("p.notice")).ToHaveTextAsync("Compte erin créé.");

        await op.Locator("#token-user").SelectOptionAsync("erin");
        await op.GetByRole(AriaRole.Button, new() { Name = "Délivrer", Exact = true }).ClickAsync();
        var secret = await op.Locator("#issued-secret").InnerTextAsync();
        Assert.StartsWith("hyg_", secret);
        await ConsoleHub.ShotAsync(op, "operator-token-issued");
        // shown once: the next view of the page never holds it
        await op.GotoAsync("/operator/users");
        Assert.DoesNotContain(secret, await op.ContentAsync());

        var erin = await hub.PageAsync(secret);
        Assert.EndsWith("/review", erin.Url);
        var tokenId = secret.Split('_')[1];
        await op.GetByRole(AriaRole.Button, new() { Name = $"Révoquer le jeton {tokenId}" }).ClickAsync();
        await Expect(op.Locator("p.notice")).ToContainTextAsync($"Jeton {tokenId} révoqué");
        await erin.GotoAsync("/review");
        Assert.Contains("/signin", erin.Url);

        // an objection: the NIR goes in, a receipt comes out, the NIR is never shown back
        await op.GotoAsync("/operator/opt-outs");
        await op.GetByLabel("NIR de la personne").FillAsync("185057800608400");
        await op.GetByRole(AriaRole.Button, new() { Name = "Enregistrer l'opposition" }).ClickAsync();
        await Expect(op.Locator("#error-nir")).ToContainTextAsync("NIR invalide");
        await op.GetByLabel("NIR de la personne").FillAsync("185057800608491");
        await op.GetByRole(AriaRole.Button, new() { Name = "Enregistrer l'opposition" }).ClickAsync();
        await Expect(op.Locator("p.notice")).ToContainTextAsync("Opposition enregistrée, reçu obj-");
        Assert.DoesNotContain("185057800608491", await op.ContentAsync());
    }

    [Fact]
    public async Task An_auditor_filters_the_audit_log_and_exports_it_verifiably()
    {
        var auditor = await hub.PageAsync(await hub.AccountAsync("ana", "auditor"));
        Assert.EndsWith("/audit", auditor.Url);
        var anonymous = await hub.PageAsync();
        await anonymous.GotoAsync("/signin");
        await anonymous.GetByLabel("Jeton d'accès").FillAsync("hyg_000000000000_not-a-token");
        await anonymous.GetByRole(AriaRole.Button, new() { Name = "Se connecter", Exact = true }).ClickAsync();
        await Expect(anonymous.Locator("#error-token")).ToHaveTextAsync("Jeton invalide, expiré ou révoqué.");

        await auditor.GetByLabel("Action").FillAsync("auth.failed");
        await auditor.GetByLabel("Issue").SelectOptionAsync("refused");
        await auditor.GetByRole(AriaRole.Button, new() { Name = "Filtrer" }).ClickAsync();
        var rows = auditor.Locator("table.audit tbody tr");
        Assert.True(await rows.CountAsync() >= 1);
        foreach (var row in await rows.AllAsync()) await Expect(row).ToContainTextAsync("auth.failed");
        await Expect(rows.First).ToContainTextAsync("POST /signin");
        await ConsoleHub.ShotAsync(auditor, "auditor-audit-log");

        var filtered = await auditor.RunAndWaitForDownloadAsync(() =>
            auditor.GetByRole(AriaRole.Link, new() { Name = "Exporter ces évènements (JSON Lines)" }).ClickAsync());
        var events = (await File.ReadAllLinesAsync((await filtered.PathAsync())!)).Where(l => l.Length > 0).ToList();
        Assert.NotEmpty(events);
        Assert.All(events, l => Assert.Contains("\"action\":\"auth.failed\"", l));

        var signed = await auditor.RunAndWaitForDownloadAsync(() =>
            auditor.GetByRole(AriaRole.Link, new() { Name = "Exporter tout le journal signé" }).ClickAsync());
        await using var export = File.OpenRead((await signed.PathAsync())!);
        var verification = AuditExportVerifier.Verify(export);
        Assert.True(verification.Intact, verification.Problem);
        Assert.True(verification.Events > 10);

        // an auditor reads the log but not the operator's pages
        var response = await auditor.GotoAsync("/operator/users");
        Assert.Equal(403, response!.Status);
        await Expect(auditor.Locator(".why")).ToContainTextAsync("Cette page demande le rôle exploitant");
    }
}
