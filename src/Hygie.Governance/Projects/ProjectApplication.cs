namespace Hygie.Governance.Projects;

/// <summary>
/// What a researcher asks for, as written in <c>application.json</c>: the project's public description, its legal
/// basis, the exact datasets, tables and columns, the data period, the members and the requested duration.
/// </summary>
public sealed record ProjectApplication
{
    /// <summary>Optional slug chosen by the applicant (e.g. <c>diabetes-2025</c>); generated when absent.</summary>
    public string? Id { get; init; }
    public string? Title { get; init; }
    /// <summary>Public summary, shown in the registry.</summary>
    public string? Summary { get; init; }
    public string? Purpose { get; init; }
    public string? Sponsor { get; init; }
    public LegalBasis? LegalBasis { get; init; }
    public IReadOnlyList<RequestedDataset>? Datasets { get; init; }
    public DataPeriod? Period { get; init; }
    public IReadOnlyList<string>? Members { get; init; }
    public int? RequestedDurationMonths { get; init; }
}

public sealed record RequestedDataset(string? Dataset, IReadOnlyList<RequestedTable>? Tables);

public sealed record RequestedTable(string? Table, IReadOnlyList<string>? Columns);

public sealed record DataPeriod(DateOnly? From, DateOnly? To);

/// <summary>
/// Why the processing is lawful. <see cref="Kind"/> is one of <see cref="LegalBasisKinds"/>: a CNIL authorization
/// (number and date), a reference methodology (e.g. MR-004, with the declaration number), or a permanent access of a
/// State service, which alone may be exempt from citizens' objections (<see cref="ObjectionExempt"/>).
/// </summary>
public sealed record LegalBasis
{
    public string? Kind { get; init; }
    public string? Number { get; init; }
    public DateOnly? Date { get; init; }
    public string? Methodology { get; init; }
    public string? Declaration { get; init; }
    public string? Reference { get; init; }
    public bool ObjectionExempt { get; init; }

    /// <summary>The public reference, e.g. "CNIL authorization DR-2024-123 of 2024-05-02" or "MR-004, declaration 2224987".</summary>
    public string Describe() => Kind switch
    {
        LegalBasisKinds.CnilAuthorization => $"CNIL authorization {Number}{(Date is null ? "" : $" of {Date:yyyy-MM-dd}")}",
        LegalBasisKinds.ReferenceMethodology => $"{Methodology}, declaration {Declaration}{(Date is null ? "" : $" of {Date:yyyy-MM-dd}")}",
        LegalBasisKinds.PermanentAccess => $"permanent access: {Reference}{(ObjectionExempt ? " (exempt from objection)" : "")}",
        _ => Kind ?? "",
    };
}

public static class LegalBasisKinds
{
    public const string CnilAuthorization = "cnil-authorization";
    public const string ReferenceMethodology = "reference-methodology";
    public const string PermanentAccess = "permanent-access";

    public static readonly IReadOnlyList<string> All = [CnilAuthorization, ReferenceMethodology, PermanentAccess];
}
