namespace Hygie.Governance.Users;

/// <summary>A person known to the hub. <see cref="PublicConsent"/>: may be named in the public registry.</summary>
public sealed record HubUser(
    string Name,
    string? DisplayName,
    string? Organisation,
    IReadOnlyList<string> Roles,
    bool PublicConsent,
    DateTimeOffset Created,
    string CreatedBy);

/// <summary>What the operator gives to create an account.</summary>
public sealed record NewUser(string Name, string? DisplayName, string? Organisation, IReadOnlyList<string> Roles, bool PublicConsent = false);
