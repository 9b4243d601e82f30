using System.Text.Json;

namespace Hygie.Core.Audit;

/// <summary>First line of an audit export: the public key and a signature that fixes the export's first and last event.</summary>
public sealed record ExportHeader(
    string HubId,
    DateTimeOffset ExportedAt,
    long FirstSeq,
    long LastSeq,
    string LastHash,
    string KeyId,
    byte[] PublicKey,
    byte[] Signature)
{
    /// <summary>
    /// Every audit key the chain was signed with, oldest first, when it changed hands (see
    /// <see cref="AuditChain.KeyTransitionAction"/>); null when one key signed it all. Not signed itself: the verifier
    /// checks it against the transition events, which are in the chain.
    /// </summary>
    public IReadOnlyList<byte[]>? KeyHistory { get; init; }

    public string ToLine()
    {
        var line = new Dictionary<string, object>
        {
            ["type"] = "header",
            ["format"] = AuditChain.ExportFormat,
            ["hub"] = HubId,
            ["exportedAt"] = AuditChain.FormatTime(ExportedAt),
            ["firstSeq"] = FirstSeq,
            ["lastSeq"] = LastSeq,
            ["lastHash"] = LastHash,
            ["keyId"] = KeyId,
            ["publicKey"] = Convert.ToBase64String(PublicKey),
            ["signature"] = Convert.ToBase64String(Signature),
        };
        if (KeyHistory is { Count: > 0 }) line["keys"] = KeyHistory.Select(Convert.ToBase64String).ToArray();
        return JsonSerializer.Serialize(line);
    }

    public static ExportHeader Parse(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        if (r.GetProperty("type").GetString() != "header")
            throw new FormatException("the first line is not a header");
        var format = r.GetProperty("format").GetString();
        if (format != AuditChain.ExportFormat)
            throw new FormatException($"unknown export format '{format}'");
        return new ExportHeader(
            r.GetProperty("hub").GetString()!,
            AuditChain.ParseTime(r.GetProperty("exportedAt").GetString()!),
            r.GetProperty("firstSeq").GetInt64(),
            r.GetProperty("lastSeq").GetInt64(),
            r.GetProperty("lastHash").GetString()!,
            r.GetProperty("keyId").GetString()!,
            Convert.FromBase64String(r.GetProperty("publicKey").GetString()!),
            Convert.FromBase64String(r.GetProperty("signature").GetString()!))
        {
            KeyHistory = r.TryGetProperty("keys", out var keys)
                ? keys.EnumerateArray().Select(k => Convert.FromBase64String(k.GetString()!)).ToList()
                : null,
        };
    }
}
