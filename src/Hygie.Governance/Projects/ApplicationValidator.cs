using System.Text.RegularExpressions;
using Hygie.Core.Catalog;
using Hygie.Core.Errors;
using Hygie.Core.Identity;
using Hygie.Governance.Users;

namespace Hygie.Governance.Projects;

/// <summary>
/// Checks an application against the catalogue and the accounts, field by field; the first fault is refused with the
/// field named (<c>legalBasis.number</c>, <c>datasets[0].tables[1].columns[2]</c>, <c>period.to</c>…). Returns the
/// application with dataset, table and column names spelled as the catalogue spells them.
/// </summary>
public sealed partial class ApplicationValidator(IDatasetCatalog catalog, UserDirectory users)
{
    public const int MaxDurationMonths = 60;

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{2,62}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^MR-0[0-9]{2}$")]
    private static partial Regex MethodologyPattern();

    public static bool IsValidProjectId(string? id) => id is not null && IdPattern().IsMatch(id);

    public async Task<ProjectApplication> ValidateAsync(ProjectApplication? application, CancellationToken ct = default)
    {
        if (application is null) throw new ValidationFailedException("the request body must be an application (JSON)", "body");
        if (application.Id is not null && !IsValidProjectId(application.Id))
            throw new ValidationFailedException("a project id is 3 to 63 lower-case letters, digits or '-', starting with a letter or digit", "id");
        Text(application.Title, "title", 200);
        Text(application.Summary, "summary", 4000);
        Text(application.Purpose, "purpose", 4000);
        Text(application.Sponsor, "sponsor", 200);
        CheckLegalBasis(application.LegalBasis);
        var datasets = await CheckDatasetsAsync(application.Datasets, ct);
        CheckPeriod(application.Period, datasets);
        var members = await CheckMembersAsync(application.Members, ct);
        if (application.RequestedDurationMonths is null)
            throw new ValidationFailedException("give the requested duration in months", "requestedDurationMonths");
        if (application.RequestedDurationMonths is < 1 or > MaxDurationMonths)
            throw new ValidationFailedException($"the requested duration is 1 to {MaxDurationMonths} months", "requestedDurationMonths");

        return application with
        {
            Title = application.Title!.Trim(),
            Sponsor = application.Sponsor!.Trim(),
            Datasets = datasets.Select(d => d.Requested).ToList(),
            Members = members,
        };
    }

    private static void Text(string? value, string field, int max)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new ValidationFailedException($"the application needs a {field}", field);
        if (value.Length > max) throw new ValidationFailedException($"the {field} is longer than {max} characters", field);
    }

    private static void CheckLegalBasis(LegalBasis? basis)
    {
        if (basis is null)
            throw new ValidationFailedException(
                "the application has no legal basis: give a CNIL authorization (number and date), a reference methodology (e.g. MR-004 with its declaration number) or a permanent access",
                "legalBasis");
        if (basis.Kind is null || !LegalBasisKinds.All.Contains(basis.Kind))
            throw new ValidationFailedException($"the legal basis kind is one of {string.Join(", ", LegalBasisKinds.All)}", "legalBasis.kind");
        switch (basis.Kind)
        {
            case LegalBasisKinds.CnilAuthorization:
                if (string.IsNullOrWhiteSpace(basis.Number)) throw new ValidationFailedException("a CNIL authorization needs its number", "legalBasis.number");
                if (basis.Date is null) throw new ValidationFailedException("a CNIL authorization needs its date", "legalBasis.date");
                break;
            case LegalBasisKinds.ReferenceMethodology:
                if (basis.Methodology is null || !MethodologyPattern().IsMatch(basis.Methodology))
                    throw new ValidationFailedException("a reference methodology is named like MR-004", "legalBasis.methodology");
                if (string.IsNullOrWhiteSpace(basis.Declaration))
                    throw new ValidationFailedException("a reference methodology needs the declaration number of conformity", "legalBasis.declaration");
                break;
            case LegalBasisKinds.PermanentAccess:
                if (string.IsNullOrWhiteSpace(basis.Reference))
                    throw new ValidationFailedException("a permanent access needs the text that grants it", "legalBasis.reference");
                break;
        }
        if (basis.ObjectionExempt && basis.Kind != LegalBasisKinds.PermanentAccess)
            throw new ValidationFailedException("only a permanent access of a State service can be exempt from objection", "legalBasis.objectionExempt");
    }

    private sealed record CheckedDataset(DatasetDescription Description, RequestedDataset Requested);

    private async Task<List<CheckedDataset>> CheckDatasetsAsync(IReadOnlyList<RequestedDataset>? requested, CancellationToken ct)
    {
        if (requested is null || requested.Count == 0)
            throw new ValidationFailedException("the application asks for no dataset", "datasets");
        var result = new List<CheckedDataset>();
        for (var i = 0; i < requested.Count; i++)
        {
            var field = $"datasets[{i}]";
            var name = requested[i]?.Dataset;
            if (string.IsNullOrWhiteSpace(name)) throw new ValidationFailedException("name the dataset", $"{field}.dataset");
            var description = await catalog.FindAsync(name, ct)
                              ?? throw new ValidationFailedException($"dataset '{name}' does not exist in the catalogue", $"{field}.dataset");
            if (result.Any(r => string.Equals(r.Description.Name, description.Name, StringComparison.OrdinalIgnoreCase)))
                throw new ValidationFailedException($"dataset '{name}' is asked for twice: list its tables once", $"{field}.dataset");
            var tables = requested[i].Tables;
            if (tables is null || tables.Count == 0)
                throw new ValidationFailedException($"name the tables of dataset '{description.Name}' you need", $"{field}.tables");
            var checkedTables = new List<RequestedTable>();
            for (var j = 0; j < tables.Count; j++)
            {
                var tfield = $"{field}.tables[{j}]";
                var tname = tables[j]?.Table;
                if (string.IsNullOrWhiteSpace(tname)) throw new ValidationFailedException("name the table", $"{tfield}.table");
                var table = description.Table(tname)
                            ?? throw new ValidationFailedException($"table '{tname}' does not exist in dataset '{description.Name}'", $"{tfield}.table");
                if (checkedTables.Any(t => t.Table == table.Name))
                    throw new ValidationFailedException($"table '{table.Name}' is asked for twice", $"{tfield}.table");
                var columns = tables[j].Columns;
                if (columns is null || columns.Count == 0)
                    throw new ValidationFailedException($"name the columns of table '{table.Name}' you need", $"{tfield}.columns");
                var checkedColumns = new List<string>();
                for (var k = 0; k < columns.Count; k++)
                {
                    var column = table.Column(columns[k] ?? "")
                                 ?? throw new ValidationFailedException($"column '{columns[k]}' does not exist in table '{table.Name}' of dataset '{description.Name}'", $"{tfield}.columns[{k}]");
                    if (!checkedColumns.Contains(column.Name)) checkedColumns.Add(column.Name);
                }
                checkedTables.Add(new RequestedTable(table.Name, checkedColumns));
            }
            result.Add(new CheckedDataset(description, new RequestedDataset(description.Name, checkedTables)));
        }
        return result;
    }

    private static void CheckPeriod(DataPeriod? period, List<CheckedDataset> datasets)
    {
        if (period is null) throw new ValidationFailedException("give the period of data needed (from, to)", "period");
        if (period.From is null) throw new ValidationFailedException("give the first day of the period", "period.from");
        if (period.To is null) throw new ValidationFailedException("give the last day of the period", "period.to");
        if (period.To < period.From)
            throw new ValidationFailedException($"the period ends ({period.To:yyyy-MM-dd}) before it starts ({period.From:yyyy-MM-dd})", "period.to");
        foreach (var (d, _) in datasets)
        {
            if (d.CoverageStart is { } start && period.From < start)
                throw new ValidationFailedException($"the period starts on {period.From:yyyy-MM-dd}, before dataset '{d.Name}' covers ({start:yyyy-MM-dd} to {d.CoverageEnd:yyyy-MM-dd})", "period.from");
            if (d.CoverageEnd is { } end && period.To > end)
                throw new ValidationFailedException($"the period ends on {period.To:yyyy-MM-dd}, after dataset '{d.Name}' covers ({d.CoverageStart:yyyy-MM-dd} to {end:yyyy-MM-dd})", "period.to");
        }
    }

    private async Task<List<string>> CheckMembersAsync(IReadOnlyList<string>? members, CancellationToken ct)
    {
        if (members is null || members.Count == 0)
            throw new ValidationFailedException("name the project's members (hub user names)", "members");
        var known = await users.FindManyAsync(members.Where(m => m is not null), ct);
        var result = new List<string>();
        for (var i = 0; i < members.Count; i++)
        {
            var name = members[i];
            if (name is null || !known.TryGetValue(name, out var user))
                throw new ValidationFailedException($"user '{name}' does not exist: the operator creates accounts first", $"members[{i}]");
            if (!user.Roles.Contains(Roles.Researcher, StringComparer.Ordinal))
                throw new ValidationFailedException($"user '{name}' does not hold the researcher role", $"members[{i}]");
            if (!result.Contains(name, StringComparer.Ordinal)) result.Add(name);
        }
        return result;
    }
}
