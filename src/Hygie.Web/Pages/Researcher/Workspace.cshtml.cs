using Hygie.Analytics;
using Hygie.Core.Identity;
using Hygie.Server.Analysis;
using Hygie.Web.Console;
using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages.Researcher;

/// <summary>
/// The project workspace: the tables and columns the permit grants, an SQL editor, results a page at a time (never
/// a bulk download: only approved releases leave the hub) and the researcher's own query history. Every call is the
/// workspace service's, with its permit check before each query.
/// </summary>
[ConsoleRoles(Roles.Researcher)]
public sealed class WorkspaceModel(WorkspaceService workspaces) : ConsolePage
{
    public const int PageSize = 50;

    public string Project { get; private set; } = "";
    [BindProperty] public string? Sql { get; set; }
    [BindProperty] public int PageNumber { get; set; }

    public IReadOnlyList<WorkspaceTableInfo> Tables { get; private set; } = [];
    public IReadOnlyList<QueryHistoryEntry> History { get; private set; } = [];
    public QueryPage? Result { get; private set; }

    public Task OnGetAsync(string id, CancellationToken ct) => LoadAsync(id, ct);

    public async Task<IActionResult> OnPostRunAsync(string id, CancellationToken ct)
    {
        await LoadTablesAsync(id, ct);
        if (string.IsNullOrWhiteSpace(Sql)) Errors.Add("sql", T["workspace.sqlMissing"]);
        else if (await TryAsync(async () => Result = await workspaces.QueryAsync(Subject, id, Sql, Math.Max(0, PageNumber), PageSize, ct), _ => "sql"))
        {
            History = await workspaces.HistoryAsync(Subject, id, 20, ct);
            return Page();
        }
        History = await workspaces.HistoryAsync(Subject, id, 20, ct);
        return Refused();
    }

    /// <summary>Puts a query of the history back in the editor, without running it.</summary>
    public Task OnPostLoadAsync(string id, CancellationToken ct) => LoadAsync(id, ct);

    private async Task LoadAsync(string id, CancellationToken ct)
    {
        await LoadTablesAsync(id, ct);
        History = await workspaces.HistoryAsync(Subject, id, 20, ct);
    }

    private async Task LoadTablesAsync(string id, CancellationToken ct)
    {
        Project = id;
        Tables = await workspaces.TablesAsync(Subject, id, ct);
    }
}
