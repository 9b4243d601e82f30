namespace Hygie.Core.Audit;

/// <summary>What happened, as a module reports it. Never a direct identifier, a key or a token in any field.</summary>
public sealed record AuditEntry(
    string Actor,
    string Action,
    string Target,
    string Outcome = AuditOutcome.Success,
    string? Reason = null,
    IReadOnlyDictionary<string, string>? Details = null);

public static class AuditOutcome
{
    public const string Success = "success";
    public const string Refused = "refused";
    public const string Failed = "failed";
}

/// <summary>An event once chained: its position, time, the hash of the previous event and its own.</summary>
public sealed record AuditEvent(long Seq, DateTimeOffset Time, AuditEntry Entry, string PrevHash, string Hash)
{
    public string Actor => Entry.Actor;
    public string Action => Entry.Action;
    public string Target => Entry.Target;
    public string Outcome => Entry.Outcome;
}

/// <summary>A signed statement that the chain had <see cref="Hash"/> at <see cref="Seq"/>.</summary>
public sealed record AuditCheckpoint(long Seq, string Hash, DateTimeOffset Time, string KeyId, string Signature);
