using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Hygie.Core.Audit;

/// <summary>
/// The canonical byte form of events and checkpoints, and their hashes. An event's hash is the SHA-256 of its canonical
/// JSON; the exported line is that JSON with the hash appended as its last member, so a verifier hashes the line's own
/// bytes instead of re-serializing them.
/// </summary>
public static class AuditChain
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";
    public const string ExportFormat = "hygie-audit-export/1";

    /// <summary>Length of the suffix <c>,"hash":"&lt;64 hex&gt;"}</c> that closes an exported event line.</summary>
    public const int HashSuffixLength = 75;

    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    /// <summary>Canonical JSON of an event without its hash: fixed member order, details sorted by key.</summary>
    public static byte[] Canonical(long seq, DateTimeOffset time, AuditEntry entry, string prevHash)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteString("type", "event");
            w.WriteNumber("seq", seq);
            w.WriteString("time", FormatTime(time));
            w.WriteString("actor", entry.Actor);
            w.WriteString("action", entry.Action);
            w.WriteString("target", entry.Target);
            w.WriteString("outcome", entry.Outcome);
            if (entry.Reason is null) w.WriteNull("reason"); else w.WriteString("reason", entry.Reason);
            w.WriteStartObject("details");
            if (entry.Details is not null)
                foreach (var (k, v) in entry.Details.OrderBy(p => p.Key, StringComparer.Ordinal))
                    w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteString("prev", prevHash);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static string Hash(ReadOnlySpan<byte> canonical) => Convert.ToHexStringLower(SHA256.HashData(canonical));

    /// <summary>The exported line: the canonical JSON with <c>"hash"</c> appended as its last member.</summary>
    public static string ExportLine(ReadOnlySpan<byte> canonical, string hash)
    {
        var body = Encoding.UTF8.GetString(canonical[..^1]);
        return $"{body},\"hash\":\"{hash}\"}}";
    }

    /// <summary>The bytes an audit signing key signs for a checkpoint.</summary>
    public static byte[] CheckpointDigest(long seq, string hash, DateTimeOffset time) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"hygie-audit-checkpoint\n{seq}\n{hash}\n{FormatTime(time)}"));

    /// <summary>The bytes signed in an export header: it fixes the tail, so a truncated export is detected.</summary>
    public static byte[] ExportDigest(long firstSeq, long lastSeq, string lastHash, DateTimeOffset exportedAt) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"{ExportFormat}\n{firstSeq}\n{lastSeq}\n{lastHash}\n{FormatTime(exportedAt)}"));

    /// <summary>
    /// The action of the event that hands the audit chain from one signing key to the next (a vault that cannot give
    /// its key away, such as an HSM, was replaced). Its details carry both public keys and the old key's endorsement.
    /// </summary>
    public const string KeyTransitionAction = "audit.key.transition";

    /// <summary>What the old audit key signs to endorse its successor: the chain's head before the transition and the new public key.</summary>
    public static byte[] KeyTransitionDigest(string prevHash, ReadOnlySpan<byte> nextPublicKeySpki) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"hygie-audit-key-transition\n{prevHash}\n{Convert.ToBase64String(nextPublicKeySpki)}"));

    /// <summary>Short fingerprint of a public key (SPKI DER) for people to compare.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> publicKeySpki) =>
        "SHA256:" + Convert.ToHexStringLower(SHA256.HashData(publicKeySpki))[..32];
}
