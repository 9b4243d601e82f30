namespace Hygie.Governance.Users;

/// <summary>A person known to the hub. <see cref="PublicConsent"/>: may be named in the public registry.</summary>
public sealed record HubUser(
    string Name,
    string? DisplayName,
    string? Organisation,
    IReadOnlyList<string> Roles,
    bool PublicConsent,
    DateTimeOffset Created,
    string CreatedBy)
{
    /// <summary>ISO 3166-1 alpha-2 country of the person's organisation (null: not declared).</summary>
    public string? Country { get; init; }
}

/// <summary>What the operator gives to create an account; <paramref name="Country"/>: the organisation's country (ISO 3166-1 alpha-2).</summary>
public sealed record NewUser(string Name, string? DisplayName, string? Organisation, IReadOnlyList<string> Roles, bool PublicConsent = false, string? Country = null);
