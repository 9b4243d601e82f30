using Hygie.Governance.Permits;

namespace Hygie.Governance.Projects;

public static class ProjectStatus
{
    public const string Draft = "draft";
    public const string Submitted = "submitted";
    public const string ChangesRequested = "changes-requested";
    public const string Refused = "refused";
    public const string Approved = "approved";
    public const string Revoked = "revoked";
    public const string Closed = "closed";
}

/// <summary>The status of one version of an application (the first one, or an amendment).</summary>
public static class ApplicationStatus
{
    public const string Draft = "draft";
    public const string Submitted = "submitted";
    public const string ChangesRequested = "changes-requested";
    public const string Refused = "refused";
    public const string Approved = "approved";
    /// <summary>Left open when the project was revoked or closed.</summary>
    public const string Withdrawn = "withdrawn";

    public static bool IsOpen(string status) => status is Draft or Submitted or ChangesRequested;
}

/// <summary>One version of a project's application, with the review decision taken on it.</summary>
public sealed record ApplicationVersion(
    int Version,
    string Status,
    string Author,
    DateTimeOffset Created,
    DateTimeOffset? Submitted,
    DateTimeOffset? Decided,
    string? DecidedBy,
    string? DecisionReason,
    ProjectApplication Application);

public sealed record Publication(string Reference, DateTimeOffset Recorded);

/// <summary>
/// A research project: its effective application (the approved one, or the latest while none is), every version with
/// its review, the latest permit, the project key, closure and publication.
/// </summary>
public sealed record Project(
    string Id,
    string Status,
    string Author,
    DateTimeOffset Created,
    DateTimeOffset Updated,
    ProjectApplication Application,
    IReadOnlyList<ApplicationVersion> Versions,
    Permit? Permit,
    string? KeyId,
    DateTimeOffset? Closed,
    string? ClosedBy,
    string? CloseReason,
    Publication? Publication,
    DateTimeOffset? PublicationDeadline,
    bool PublicationOverdue)
{
    public string Title => Application.Title ?? "";

    /// <summary>The version under work or review, if any.</summary>
    public ApplicationVersion? Open => Versions.Count > 0 && ApplicationStatus.IsOpen(Versions[^1].Status) ? Versions[^1] : null;

    /// <summary>Everyone named on any version or on the permit: they may read the project, never review it.</summary>
    public bool Involves(string user) =>
        Author == user || Versions.Any(v => v.Application.Members?.Contains(user, StringComparer.Ordinal) == true)
                       || Permit?.Members.Contains(user, StringComparer.Ordinal) == true;
}
