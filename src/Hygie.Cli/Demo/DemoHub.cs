using System.Diagnostics;
using System.IO.Pipelines;
using Hygie.Core.Errors;
using Hygie.Core.Identity;
using Hygie.Fhir;
using Hygie.Fhir.Bulk;
using Hygie.Fhir.Rest;
using Hygie.Governance;
using Hygie.Governance.Projects;
using Hygie.Governance.Users;
using Hygie.Ingest.Deposit;
using Hygie.Synthetic.Cohort;
using Hygie.Synthetic.Fhir;
using Hygie.Synthetic.Snds;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Cli.Demo;

/// <summary>What a demo hub was given, for the lines <c>serve --demo</c> prints once.</summary>
public sealed record DemoReport(
    long Persons, long Seed, int Year,
    IReadOnlyList<(string Table, long Rows, long Persons)> Tables,
    string Tenant, int Bundles, int Resources,
    IReadOnlyList<(string User, string Roles, string Token)> Accounts,
    string FhirToken,
    string Project, string PermitId, DateTimeOffset PermitEnds, string PendingProject,
    string? FhirDataset, double Seconds);

/// <summary>
/// Fills a hub that <c>serve --demo</c> has just created, through the modules' own services as the server holds them
/// (every step validated and audited like a user's): demo accounts, the synthetic SNDS dataset <c>snds-demo</c>
/// deposited table by table through the real pipeline (parsed, pseudonymized, sealed), the FHIR tenant
/// <c>demo-clinic</c> loaded with the cohort's patient bundles, an approved project whose permit a researcher can query
/// at once, and an application waiting for review.
/// </summary>
public static class DemoHub
{
    public const string Dataset = "snds-demo", Tenant = "demo-clinic", Project = "demo-cohort", PendingProject = "demo-mortality";
    public const string FhirDataset = "fhir-demo";
    public const string Researcher = "demo-researcher", ReviewerA = "demo-reviewer-a", ReviewerB = "demo-reviewer-b", Producer = "demo-producer", Auditor = "demo-auditor";
    private const string Operator = "operator";

    public sealed record Settings(long Persons = 2000, long Seed = 2019, int Year = 2019, int FhirPatients = 40);

    private static readonly (string Name, string Display, string Organisation, string[] Roles)[] Accounts =
    [
        (Researcher, "Camille Chercheuse (démo)", "Équipe de recherche (démo)", [Roles.Researcher]),
        (ReviewerA, "Dominique Relectrice (démo)", "Comité d'accès aux données (démo)", [Roles.Reviewer]),
        (ReviewerB, "Claude Relecteur (démo)", "Comité d'accès aux données (démo)", [Roles.Reviewer]),
        (Producer, "Alex Producteur (démo)", "Caisse d'assurance maladie (démo)", [Roles.Producer]),
        (Auditor, "Sacha Auditrice (démo)", "Autorité de contrôle (démo)", [Roles.Auditor]),
    ];

    public static async Task<DemoReport> FillAsync(IServiceProvider services, Storage.Hub.Hub hub, Settings settings, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var users = services.GetRequiredService<UserDirectory>();
        var tokens = services.GetRequiredService<TokenDesk>();
        var datasets = services.GetRequiredService<DatasetService>();
        var projects = services.GetRequiredService<ProjectRegistry>();
        var fhir = services.GetRequiredService<FhirStore>();
        var operatorActor = new Actor(Operator, [Roles.Operator]);
        var cohort = new SyntheticCohort(new CohortOptions { Persons = settings.Persons, Seed = settings.Seed, Year = settings.Year });
        var year = settings.Year;

        foreach (var a in Accounts)
            await users.AddAsync(operatorActor, new NewUser(a.Name, a.Display, a.Organisation, a.Roles), "demo hub created by serve --demo", ct);

        await datasets.CreateAsync(Operator, new NewDataset(Dataset, "snds", "snds",
            $"Synthetic SNDS extract, {settings.Persons} persons, year {year} (seed {settings.Seed}): not real data",
            new DateOnly(year, 1, 1), new DateOnly(year, 12, 31)), ct);
        var tables = new List<(string, long, long)>();
        foreach (var table in SndsExtract.Tables)
        {
            var report = await DepositAsync(datasets, cohort, table, ct);
            tables.Add((report.Table, report.RowsStored, report.Persons));
        }

        await fhir.Tenants.CreateAsync(Tenant, nameSearch: true, Operator, ct);
        var feed = new FhirRequestContext(await fhir.OpenTenantAsync(Tenant, ct), new FhirCaller(Producer, Tenant, new SmartScopes(["system/*.*"])),
            $"urn:hygie:fhir/{Tenant}/", strictHandling: true, ReturnPreference.Minimal);
        int bundles = 0, resources = 0;
        foreach (var b in new PatientBundles(cohort).Take(settings.FhirPatients))
        {
            var result = await fhir.BundleAsync(feed, PatientBundles.Serialize(b.Bundle), ct);
            if (result.Status != 200)
                throw new HubStateException($"demo: the FHIR bundle of synthetic person {b.PersonIndex} was refused with status {result.Status}");
            bundles++;
            resources += b.Resources;
        }

        var issued = new List<(string, string, string)>();
        foreach (var a in Accounts)
        {
            var token = await tokens.IssueAsync(operatorActor, new TokenRequest(a.Name, "90d", Description: "demo account (serve --demo)"), ct);
            issued.Add((a.Name, string.Join(' ', a.Roles), token.Secret));
        }
        var fhirToken = await tokens.IssueAsync(operatorActor, new TokenRequest(Producer, "90d", Tenant, ["user/*.*"], Description: $"demo FHIR client of {Tenant}"), ct);

        var researcher = new Actor(Researcher, [Roles.Researcher]);
        await projects.ApplyAsync(researcher, Cohort(year), ct);
        await projects.SubmitAsync(researcher, Project, ct);
        var now = hub.Clock.GetUtcNow();
        var approved = await projects.ApproveAsync(new Actor(ReviewerA, [Roles.Reviewer]), Project, now, now.AddMonths(12),
            "demo: synthetic data, approved when the demo hub was created", ct);
        await projects.ApplyAsync(researcher, Mortality(year), ct);
        await projects.SubmitAsync(researcher, PendingProject, ct);

        var fhirDataset = await DepositFhirAsync(services, datasets, fhir, ct);

        return new DemoReport(settings.Persons, settings.Seed, year, tables, Tenant, bundles, resources, issued, fhirToken.Secret,
            Project, approved.Permit!.Id, approved.Permit.ValidTo, PendingProject, fhirDataset, clock.Elapsed.TotalSeconds);
    }

    /// <summary>One table, generated into a pipe that the deposit reads: the CSV never lands on disk nor whole in memory.</summary>
    private static async Task<DepositReport> DepositAsync(DatasetService datasets, SyntheticCohort cohort, string table, CancellationToken ct)
    {
        var year = cohort.Options.Year;
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writing = Task.Run(async () =>
        {
            try
            {
                var output = pipe.Writer.AsStream(leaveOpen: true);
                await SndsExtract.WriteAsync(cohort, new Dictionary<string, Stream> { [table] = output }, null, stop.Token);
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                // the deposit must fail, not store a truncated table
                await pipe.Writer.CompleteAsync(e);
                throw;
            }
        }, CancellationToken.None);
        DepositReport report;
        try
        {
            await using var input = pipe.Reader.AsStream();
            report = await datasets.DepositSndsAsync(Producer, Dataset,
                new SndsDepositRequest(SndsExtract.NameFor(table, year), ';', FileName: SndsExtract.FileName(table, year)), input, ct);
        }
        catch
        {
            await stop.CancelAsync();
            try { await writing; } catch { /* the deposit's own error is the one to report */ }
            throw;
        }
        await writing;
        if (report.RowsRejected > 0) throw new HubStateException($"demo: {report.RowsRejected} synthetic rows of {table} were rejected");
        return report;
    }

    /// <summary>
    /// The tenant's data as a research dataset, when the hub has the FHIR deposit pipeline (<see cref="IFhirExportDeposit"/>):
    /// exported by the FHIR store and deposited, as the operator's route does. Null when the pipeline is not installed.
    /// </summary>
    private static async Task<string?> DepositFhirAsync(IServiceProvider services, DatasetService datasets, FhirStore fhir, CancellationToken ct)
    {
        if (services.GetService<IFhirExportDeposit>() is not { } depositor) return null;
        await datasets.CreateAsync(Operator, new NewDataset(FhirDataset, "fhir", "clinical", $"Synthetic FHIR patients of tenant {Tenant}: not real data"), ct);
        var ctx = new FhirRequestContext(await fhir.OpenTenantAsync(Tenant, ct), new FhirCaller(Operator, Tenant, new SmartScopes(["system/*.read"])),
            $"urn:hygie:fhir/{Tenant}/", strictHandling: true, ReturnPreference.Minimal);
        var job = await fhir.Exports.KickOffAsync(ctx, "system", null, [], $"deposit:{FhirDataset}", ct);
        await fhir.Exports.RunAsync(job, ct);
        await depositor.DepositAsync(Tenant, FhirDataset, fhir.Exports.ReadResourcesAsync(job, Operator, ct), Operator, ct);
        return FhirDataset;
    }

    private static readonly string[] DcirKeys =
        ["FLX_DIS_DTD", "FLX_TRT_DTD", "FLX_EMT_TYP", "FLX_EMT_NUM", "FLX_EMT_ORD", "ORG_CLE_NUM", "DCT_ORD_NUM", "PRS_ORD_NUM", "REM_TYP_AFF"];

    private static LegalBasis Basis(int year) => new()
    {
        Kind = LegalBasisKinds.ReferenceMethodology, Methodology = "MR-004", Declaration = "DEMO-0001", Date = new DateOnly(year, 1, 1),
    };

    private static ProjectApplication Cohort(int year) => new()
    {
        Id = Project,
        Title = "Parcours de soins d'une cohorte synthétique",
        Summary = "Démonstration : consultations, délivrances de médicaments et séjours hospitaliers d'une population synthétique.",
        Purpose = "Montrer l'analyse dans le hub : requêtes SQL sur des données pseudonymisées, contrôle de divulgation, sorties relues.",
        Sponsor = "Hygie (démo)",
        LegalBasis = Basis(year),
        Datasets =
        [
            new RequestedDataset(Dataset,
            [
                new RequestedTable("IR_BEN_R", ["person_id", "BEN_SEX_COD", "BEN_NAI_ANN", "BEN_RES_DPT", "BEN_DCD_DTE"]),
                new RequestedTable("ER_PRS_F", ["person_id", "EXE_SOI_DTD", "PRS_NAT_REF", "PSE_SPE_COD", "PRS_PAI_MNT", "BSE_REM_MNT", "BEN_SEX_COD", "BEN_NAI_ANN", "BEN_RES_DPT", .. DcirKeys]),
                new RequestedTable("ER_PHA_F", [.. DcirKeys, "PHA_PRS_C13", "PHA_ACT_QSN", "PHA_ACT_PRU"]),
                new RequestedTable("T_MCOaaB", ["ETA_NUM", "RSA_NUM", "DGN_PAL", "SEJ_NBJ", "SOR_MOD", "GRG_GHM", "AGE_ANN", "COD_SEX"]),
                new RequestedTable("T_MCOaaC", ["person_id", "ETA_NUM", "RSA_NUM", "ENT_DAT", "SOR_DAT"]),
                new RequestedTable("T_MCOaaD", ["ETA_NUM", "RSA_NUM", "ASS_DGN"]),
            ]),
        ],
        Period = new DataPeriod(new DateOnly(year, 1, 1), new DateOnly(year, 12, 31)),
        Members = [Researcher],
        RequestedDurationMonths = 12,
    };

    private static ProjectApplication Mortality(int year) => new()
    {
        Id = PendingProject,
        Title = "Causes de décès d'une cohorte synthétique",
        Summary = "Démonstration : une demande d'accès aux causes médicales de décès, en attente de l'avis du comité.",
        Purpose = "Montrer la relecture d'une demande par le comité d'accès (deux relecteurs de démonstration).",
        Sponsor = "Hygie (démo)",
        LegalBasis = Basis(year),
        Datasets =
        [
            new RequestedDataset(Dataset,
            [
                new RequestedTable("IR_BEN_R", ["person_id", "BEN_SEX_COD", "BEN_NAI_ANN", "BEN_DCD_DTE"]),
                new RequestedTable("KI_CCI_R", ["person_id", "BEN_DCD_DTE", "DCD_CIM_COD", "DCD_LIE_COD"]),
            ]),
        ],
        Period = new DataPeriod(new DateOnly(year, 1, 1), new DateOnly(year, 12, 31)),
        Members = [Researcher],
        RequestedDurationMonths = 6,
    };
}
