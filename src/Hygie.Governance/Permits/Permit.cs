namespace Hygie.Governance.Permits;

/// <summary>
/// What an approval grants, exactly: the members, the tables and columns of each dataset, the period of the data and
/// the validity window [<see cref="ValidFrom"/>, <see cref="ValidTo"/>). <see cref="State"/> is computed when read.
/// </summary>
public sealed record Permit(
    string Id,
    string ProjectId,
    int ApplicationVersion,
    DateTimeOffset ValidFrom,
    DateTimeOffset ValidTo,
    DateOnly DataFrom,
    DateOnly DataTo,
    IReadOnlyList<string> Members,
    IReadOnlyList<GrantedTable> Tables,
    DateTimeOffset Issued,
    string IssuedBy,
    DateTimeOffset? Ended,
    string? EndKind,
    string? EndedBy,
    string? EndReason,
    string State)
{
    public GrantedTable? Table(string dataset, string table) => Tables.FirstOrDefault(t =>
        string.Equals(t.Dataset, dataset, StringComparison.OrdinalIgnoreCase) && string.Equals(t.Table, table, StringComparison.OrdinalIgnoreCase));

    public static string StateAt(DateTimeOffset validFrom, DateTimeOffset validTo, string? endKind, DateTimeOffset now) =>
        endKind ?? (now < validFrom ? PermitStates.NotStarted : now >= validTo ? PermitStates.Expired : PermitStates.Active);
}

public sealed record GrantedTable(string Dataset, string Table, IReadOnlyList<string> Columns);

public static class PermitStates
{
    public const string Active = "active";
    public const string NotStarted = "not-started";
    public const string Expired = "expired";
    public const string Revoked = "revoked";
    public const string Superseded = "superseded";
    public const string Closed = "closed";
}
