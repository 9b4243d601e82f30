using System.Globalization;
using Hygie.Core.Catalog;
using Hygie.Core.Identity;
using Hygie.Governance.Projects;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Researcher;

/// <summary>
/// The application form: what <c>hygie projects apply --file application.json</c> sends, as fields, with the
/// catalogue's columns to tick. A new application becomes a draft; <c>?amend=ID</c> changes a draft, a version
/// returned for changes or (as an amendment) an approved project. Every check is the governance module's.
/// </summary>
[ConsoleRoles(Roles.Researcher)]
public sealed class ApplyModel(ProjectRegistry registry, IDatasetCatalog catalog) : ConsolePage
{
    [BindProperty(SupportsGet = true)] public string? Amend { get; set; }
    [BindProperty] public ApplicationForm Form { get; set; } = new();

    public IReadOnlyList<DatasetDescription> Catalogue { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (Amend is not null)
        {
            var project = await registry.GetForAsync(Actor, Amend, ct);
            Form = ApplicationForm.Of((project.Open ?? project.Versions[^1]).Application);
        }
        else Form.Members = Subject;
        Catalogue = await catalog.ListAsync(ct);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Catalogue = await catalog.ListAsync(ct);
        var application = Form.ToApplication(Errors, T);
        if (Errors.Any) return Refused();
        Project? project = null;
        var done = await TryAsync(async () => project = Amend is null
            ? await registry.ApplyAsync(Actor, application, ct)
            : await registry.AmendAsync(Actor, Amend, application, ct));
        return done ? Redirect($"/me/projects/{project!.Id}") : Refused();
    }
}

/// <summary>The application's fields as the form posts them; dates as <c>yyyy-MM-dd</c>, columns as <c>dataset/table/column</c>.</summary>
public sealed class ApplicationForm
{
    public string? Id { get; set; }
    public string? Title { get; set; }
    public string? Summary { get; set; }
    public string? Purpose { get; set; }
    public string? Sponsor { get; set; }
    public string? BasisKind { get; set; }
    public string? BasisNumber { get; set; }
    public string? BasisDate { get; set; }
    public string? Methodology { get; set; }
    public string? Declaration { get; set; }
    public string? Reference { get; set; }
    public bool ObjectionExempt { get; set; }
    public List<string> Columns { get; set; } = [];
    public string? PeriodFrom { get; set; }
    public string? PeriodTo { get; set; }
    public string? Members { get; set; }
    public string? DurationMonths { get; set; }

    public static ApplicationForm Of(ProjectApplication a) => new()
    {
        Id = a.Id, Title = a.Title, Summary = a.Summary, Purpose = a.Purpose, Sponsor = a.Sponsor,
        BasisKind = a.LegalBasis?.Kind, BasisNumber = a.LegalBasis?.Number, BasisDate = Iso(a.LegalBasis?.Date),
        Methodology = a.LegalBasis?.Methodology, Declaration = a.LegalBasis?.Declaration, Reference = a.LegalBasis?.Reference,
        ObjectionExempt = a.LegalBasis?.ObjectionExempt ?? false,
        Columns = (a.Datasets ?? []).SelectMany(d => (d.Tables ?? []).SelectMany(t => (t.Columns ?? []).Select(c => $"{d.Dataset}/{t.Table}/{c}"))).ToList(),
        PeriodFrom = Iso(a.Period?.From), PeriodTo = Iso(a.Period?.To), Members = string.Join(", ", a.Members ?? []),
        DurationMonths = a.RequestedDurationMonths?.ToString(CultureInfo.InvariantCulture),
    };

    private static string? Iso(DateOnly? d) => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public bool Has(string dataset, string table, string column) => Columns.Contains($"{dataset}/{table}/{column}", StringComparer.OrdinalIgnoreCase);

    /// <summary>The application; only what the form itself cannot say (a date that is not a date) is refused here.</summary>
    public ProjectApplication ToApplication(FormErrors errors, ConsoleText t)
    {
        DateOnly? Date(string? text, string field)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
            errors.Add(field, t["form.notADate"]);
            return null;
        }
        int? months = null;
        if (!string.IsNullOrWhiteSpace(DurationMonths))
        {
            if (int.TryParse(DurationMonths.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var m)) months = m;
            else errors.Add("requestedDurationMonths", t["form.notANumber"]);
        }
        var datasets = Columns.Select(c => c.Split('/', 3)).Where(p => p.Length == 3)
            .GroupBy(p => p[0], StringComparer.OrdinalIgnoreCase)
            .Select(d => new RequestedDataset(d.Key, d.GroupBy(p => p[1], StringComparer.OrdinalIgnoreCase)
                .Select(tb => new RequestedTable(tb.Key, tb.Select(p => p[2]).ToList())).ToList())).ToList();
        return new ProjectApplication
        {
            Id = string.IsNullOrWhiteSpace(Id) ? null : Id.Trim(),
            Title = Title, Summary = Summary, Purpose = Purpose, Sponsor = Sponsor,
            LegalBasis = string.IsNullOrWhiteSpace(BasisKind) ? null : new LegalBasis
            {
                Kind = BasisKind, Number = Blank(BasisNumber), Date = Date(BasisDate, "legalBasis.date"), Methodology = Blank(Methodology),
                Declaration = Blank(Declaration), Reference = Blank(Reference), ObjectionExempt = ObjectionExempt,
            },
            Datasets = datasets,
            Period = new DataPeriod(Date(PeriodFrom, "period.from"), Date(PeriodTo, "period.to")),
            Members = (Members ?? "").Split([',', ' ', ';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList(),
            RequestedDurationMonths = months,
        };
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
