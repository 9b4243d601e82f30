using System.Globalization;
using Hygie.Core.Catalog;
using Hygie.Core.Identity;
using Hygie.Ingest.Deposit;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Operator;

/// <summary>The hub's datasets and the creation of one (its data key is created with it), as <c>hygie datasets create</c>.</summary>
[ConsoleRoles(Roles.Operator)]
public sealed class DatasetsModel(DatasetService datasets) : ConsolePage
{
    public IReadOnlyList<DatasetDescription> Datasets { get; private set; } = [];

    [BindProperty] public string? Name { get; set; }
    [BindProperty] public string? Kind { get; set; }
    [BindProperty] public string? Classification { get; set; }
    [BindProperty] public string? Description { get; set; }
    [BindProperty] public string? CoverageStart { get; set; }
    [BindProperty] public string? CoverageEnd { get; set; }

    public async Task OnGetAsync(CancellationToken ct) => Datasets = await datasets.ListAsync(ct);

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        DateOnly? Date(string? text, string field)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return d;
            Errors.Add(field, T["form.notADate"]);
            return null;
        }
        var start = Date(CoverageStart, "coverageStart");
        var end = Date(CoverageEnd, "coverageEnd");
        if (!Errors.Any && await TryAsync(() => datasets.CreateAsync(Subject,
                new NewDataset(Name, Kind, Classification, string.IsNullOrWhiteSpace(Description) ? null : Description.Trim(), start, end), ct)))
            return Redirect($"/operator/datasets/{Name!.Trim()}");
        Datasets = await datasets.ListAsync(ct);
        return Refused();
    }
}
