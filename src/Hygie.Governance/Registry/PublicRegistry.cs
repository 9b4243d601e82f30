using Hygie.Core.Catalog;
using Hygie.Governance.Projects;
using Hygie.Governance.Users;

namespace Hygie.Governance.Registry;

/// <summary>
/// What anyone may read without an account: the projects (once submitted) with their sponsor, summary, legal basis,
/// datasets, dates and status — members only when they consented to be named — and the dataset catalogue with counts
/// rounded so that no small exact count is ever shown.
/// </summary>
public sealed class PublicRegistry(ProjectRegistry projects, UserDirectory users, IDatasetCatalog catalog)
{
    public const long CountRounding = 1000;

    public async Task<IReadOnlyList<PublicProject>> ProjectsAsync(CancellationToken ct = default)
    {
        var list = new List<PublicProject>();
        foreach (var project in await projects.ListAsync(null, ct))
            if (IsPublic(project)) list.Add(await ToPublicAsync(project, ct));
        return list;
    }

    public async Task<PublicProject?> ProjectAsync(string id, CancellationToken ct = default)
    {
        Project project;
        try { project = await projects.GetAsync(id, ct); }
        catch (Core.Errors.NotFoundException) { return null; }
        return IsPublic(project) ? await ToPublicAsync(project, ct) : null;
    }

    /// <summary>A draft never submitted is the applicant's own business.</summary>
    private static bool IsPublic(Project project) => project.Versions.Any(v => v.Submitted is not null);

    private async Task<PublicProject> ToPublicAsync(Project project, CancellationToken ct)
    {
        // The registry shows what was last submitted or approved, never an unsubmitted draft of an amendment.
        var shown = project.Versions.LastOrDefault(v => v.Status == ApplicationStatus.Approved)
                    ?? project.Versions.Last(v => v.Submitted is not null);
        var app = shown.Application;
        var names = app.Members ?? [];
        var known = await users.FindManyAsync(names, ct);
        var members = names.Where(n => known.TryGetValue(n, out var u) && u.PublicConsent)
            .Select(n => new PublicMember(known[n].DisplayName ?? n, known[n].Organisation)).ToList();
        var basis = app.LegalBasis!;
        return new PublicProject(
            project.Id, app.Title ?? "", app.Sponsor ?? "", app.Summary ?? "",
            new PublicLegalBasis(basis.Kind ?? "", basis.Describe(), !basis.ObjectionExempt),
            (app.Datasets ?? []).Select(d => new PublicDatasetRequest(d.Dataset ?? "", (d.Tables ?? []).Select(t => t.Table ?? "").ToList())).ToList(),
            app.Period?.From, app.Period?.To, project.Status,
            project.Versions.First(v => v.Submitted is not null).Submitted,
            project.Permit?.Issued, project.Permit?.ValidFrom, project.Permit?.ValidTo, project.Permit?.Ended, project.Closed,
            project.Publication, project.PublicationDeadline, project.PublicationOverdue,
            members, names.Count - members.Count);
    }

    public async Task<IReadOnlyList<PublicDataset>> DatasetsAsync(CancellationToken ct = default) =>
        (await catalog.ListAsync(ct)).Select(d => new PublicDataset(
            d.Name, d.Kind, d.Description, d.CoverageStart, d.CoverageEnd,
            d.Tables.Select(t => new PublicTable(t.Name, t.Description, Round(t.Rows), Round(t.Persons),
                t.Columns.Select(c => new PublicColumn(c.Name, c.Type, c.Description)).ToList())).ToList())).ToList();

    /// <summary>To the nearest 1,000; a non-zero count below 1,000 is shown as "fewer than 1,000", never exactly.</summary>
    public static RoundedCount Round(long count) => count switch
    {
        0 => new RoundedCount(0, null),
        < CountRounding => new RoundedCount(null, "fewer than 1,000"),
        _ => new RoundedCount((long)Math.Round(count / (double)CountRounding, MidpointRounding.AwayFromZero) * CountRounding, null),
    };
}

public sealed record PublicProject(
    string Id, string Title, string Sponsor, string Summary, PublicLegalBasis LegalBasis, IReadOnlyList<PublicDatasetRequest> Datasets,
    DateOnly? DataFrom, DateOnly? DataTo, string Status, DateTimeOffset? Submitted, DateTimeOffset? Approved,
    DateTimeOffset? AccessFrom, DateTimeOffset? AccessTo, DateTimeOffset? AccessEnded, DateTimeOffset? Closed,
    Publication? Publication, DateTimeOffset? PublicationDeadline, bool PublicationOverdue,
    IReadOnlyList<PublicMember> Members, int UnnamedMembers);

public sealed record PublicLegalBasis(string Kind, string Reference, bool ObjectionApplies);

public sealed record PublicDatasetRequest(string Dataset, IReadOnlyList<string> Tables);

public sealed record PublicMember(string Name, string? Organisation);

/// <summary><see cref="Value"/> rounded to the nearest 1,000, or null with <see cref="Note"/> for small counts.</summary>
public sealed record RoundedCount(long? Value, string? Note);

public sealed record PublicDataset(string Name, string Kind, string? Description, DateOnly? CoverageStart, DateOnly? CoverageEnd, IReadOnlyList<PublicTable> Tables);

public sealed record PublicTable(string Name, string? Description, RoundedCount Rows, RoundedCount Persons, IReadOnlyList<PublicColumn> Columns);

public sealed record PublicColumn(string Name, string Type, string? Description);
