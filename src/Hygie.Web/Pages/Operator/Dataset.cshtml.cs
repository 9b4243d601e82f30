using Hygie.Core.Identity;
using Hygie.Ingest.Deposit;
using Hygie.Web.Console;

namespace Hygie.Web.Pages.Operator;

/// <summary>A dataset: its tables and columns, and every deposit with its report (rows read, stored, rejected, the errors by line and column).</summary>
[ConsoleRoles(Roles.Operator)]
public sealed class DatasetModel(DatasetService datasets) : ConsolePage
{
    public DatasetDetails Details { get; private set; } = null!;

    public async Task OnGetAsync(string name, CancellationToken ct) => Details = await datasets.ShowAsync(name, ct);
}
