using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Hygie.Core.Audit;

/// <summary>Outcome of an offline verification: intact, or the first broken event and why.</summary>
public sealed record AuditVerification(
    bool Intact,
    long Events,
    long Checkpoints,
    long LastSeq,
    string? LastHash,
    string? KeyFingerprint,
    string? Problem = null,
    long? BrokenSeq = null,
    long? Line = null)
{
    /// <summary>How many times the chain was handed from one audit key to the next (0: one key signed it all).</summary>
    public int KeyTransitions { get; init; }
}

/// <summary>
/// Verifies an audit export offline, with nothing but the export (and, ideally, the public key the auditor trusts):
/// every event's hash, the chain of previous hashes, the order of sequence numbers, each checkpoint's signature, and
/// the signed header that fixes the tail, so truncation is caught too.
/// </summary>
public static class AuditExportVerifier
{
    public static AuditVerification Verify(Stream export, byte[]? trustedPublicKey = null)
    {
        using var reader = new StreamReader(export, new UTF8Encoding(false, true), false, 1 << 16);
        var headerLine = reader.ReadLine();
        if (string.IsNullOrWhiteSpace(headerLine))
            return Fail("the export is empty: no header line", null, 1, 0, 0, 0, null, null);

        ExportHeader header;
        try { header = ExportHeader.Parse(headerLine); }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            return Fail($"line 1 is not a valid export header ({e.Message})", null, 1, 0, 0, 0, null, null);
        }

        var fingerprint = AuditChain.Fingerprint(header.PublicKey);
        // The keys that signed the chain, oldest first: one, unless the chain changed hands (each hand-over is an event).
        var history = header.KeyHistory is { Count: > 0 } listed ? listed : [header.PublicKey];
        if (!history[^1].AsSpan().SequenceEqual(header.PublicKey))
            return Fail("the export header's key history does not end with the key that signed the header", null, 1, 0, 0, 0, null, fingerprint);
        if (trustedPublicKey is not null && !history.Any(k => trustedPublicKey.AsSpan().SequenceEqual(k)))
            return Fail($"the export is signed by key {fingerprint}, not by the trusted key {AuditChain.Fingerprint(trustedPublicKey)}",
                null, 1, 0, 0, 0, null, fingerprint);

        using var headerKey = ECDsa.Create();
        try { headerKey.ImportSubjectPublicKeyInfo(header.PublicKey, out _); }
        catch (CryptographicException) { return Fail("the header's public key is not a valid EC public key", null, 1, 0, 0, 0, null, fingerprint); }

        if (!headerKey.VerifyHash(AuditChain.ExportDigest(header.FirstSeq, header.LastSeq, header.LastHash, header.ExportedAt), header.Signature))
            return Fail("the export header's signature is invalid: the header was altered or signed by another key", null, 1, 0, 0, 0, null, fingerprint);

        // Checkpoints are verified with the key of their epoch; a key-transition event opens the next epoch.
        var epoch = 0;
        var ecdsa = ECDsa.Create();
        try { ecdsa.ImportSubjectPublicKeyInfo(history[0], out _); }
        catch (CryptographicException) { ecdsa.Dispose(); return Fail("the header's key history holds an invalid EC public key", null, 1, 0, 0, 0, null, fingerprint); }
        try
        {
            long expected = header.FirstSeq, events = 0, checkpoints = 0, lineNo = 1;
            var prev = AuditChain.Genesis;
            var buffer = new byte[4096];
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                lineNo++;
                if (line.Length == 0) continue;
                if (line.StartsWith("{\"type\":\"event\"", StringComparison.Ordinal))
                {
                    var byteCount = Encoding.UTF8.GetMaxByteCount(line.Length);
                    if (buffer.Length < byteCount) buffer = new byte[Math.Max(byteCount, buffer.Length * 2)];
                    var n = Encoding.UTF8.GetBytes(line, buffer);
                    var bytes = buffer.AsSpan(0, n);

                    if (!TryReadEvent(bytes, out var seq, out var prevHash, out var storedHash))
                        return Fail($"line {lineNo} is not a well-formed event", expected, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                    if (seq > expected)
                        return Fail($"event {expected} is missing: line {lineNo} holds event {seq} (an event was deleted)", expected, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                    if (seq < expected)
                        return Fail($"events are out of order: line {lineNo} holds event {seq} after event {expected - 1}", seq, lineNo, events, checkpoints, expected - 1, prev, fingerprint);

                    // Hash the canonical bytes: the line without its trailing ,"hash":"…" member, closed again.
                    var canonicalLength = n - AuditChain.HashSuffixLength;
                    buffer[canonicalLength] = (byte)'}';
                    var computed = Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, canonicalLength + 1)));
                    if (!string.Equals(computed, storedHash, StringComparison.Ordinal))
                        return Fail($"event {seq} (line {lineNo}) was modified: its content does not match its hash", seq, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                    if (!string.Equals(prevHash, prev, StringComparison.Ordinal))
                        return Fail($"event {seq} (line {lineNo}) does not follow event {seq - 1}: the chain is broken (an event was modified, deleted or reordered)", seq, lineNo, events, checkpoints, expected - 1, prev, fingerprint);

                    if (bytes.IndexOf(TransitionMarker) >= 0 && Transition(line) is { } transition)
                    {
                        if (epoch + 1 >= history.Count || !transition.To.AsSpan().SequenceEqual(history[epoch + 1]))
                            return Fail($"event {seq} (line {lineNo}) hands the audit chain to a key the export header does not list", seq, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                        if (!transition.From.AsSpan().SequenceEqual(history[epoch]))
                            return Fail($"event {seq} (line {lineNo}) hands over the audit chain from a key that did not sign the events before it", seq, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                        if (!ecdsa.VerifyHash(AuditChain.KeyTransitionDigest(prevHash, transition.To), transition.Endorsement))
                            return Fail($"event {seq} (line {lineNo}) hands over the audit chain without the previous key's valid endorsement", seq, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                        epoch++;
                        ecdsa.Dispose();
                        ecdsa = ECDsa.Create();
                        try { ecdsa.ImportSubjectPublicKeyInfo(history[epoch], out _); }
                        catch (CryptographicException)
                        {
                            return Fail($"event {seq} (line {lineNo}) hands the audit chain to an invalid EC public key", seq, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                        }
                    }

                    prev = storedHash;
                    expected++;
                    events++;
                }
                else if (line.StartsWith("{\"type\":\"checkpoint\"", StringComparison.Ordinal))
                {
                    AuditCheckpoint cp;
                    try { cp = ParseCheckpoint(line); }
                    catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
                    {
                        return Fail($"line {lineNo} is not a well-formed checkpoint", expected, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                    }
                    if (cp.Seq != expected - 1 || !string.Equals(cp.Hash, prev, StringComparison.Ordinal))
                        return Fail($"the checkpoint at line {lineNo} (event {cp.Seq}) does not match the chain: events before it were altered", cp.Seq, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                    if (!ecdsa.VerifyHash(AuditChain.CheckpointDigest(cp.Seq, cp.Hash, cp.Time), Convert.FromBase64String(cp.Signature)))
                        return Fail($"the checkpoint at line {lineNo} (event {cp.Seq}) has an invalid signature", cp.Seq, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                    checkpoints++;
                }
                else
                {
                    return Fail($"line {lineNo} is neither an event nor a checkpoint", expected, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
                }
            }

            if (epoch != history.Count - 1)
                return Fail($"the export header lists {history.Count} audit keys, but the chain hands over to only {epoch + 1} of them", null, lineNo, events, checkpoints, expected - 1, prev, fingerprint);
            var last = expected - 1;
            if (last < header.LastSeq)
                return Fail($"the export is truncated: it ends at event {last}, but it was signed with {header.LastSeq} events (event {last + 1} onwards is missing)",
                    last + 1, lineNo, events, checkpoints, last, prev, fingerprint);
            if (last > header.LastSeq || !string.Equals(prev, header.LastHash, StringComparison.Ordinal))
                return Fail($"the export's last event {last} does not match the signed header (event {header.LastSeq})", last, lineNo, events, checkpoints, last, prev, fingerprint);

            return new AuditVerification(true, events, checkpoints, last, prev, fingerprint) { KeyTransitions = epoch };
        }
        finally
        {
            ecdsa.Dispose();
        }
    }

    private static ReadOnlySpan<byte> TransitionMarker => "\"action\":\"audit.key.transition\""u8;

    private sealed record KeyTransition(byte[] From, byte[] To, byte[] Endorsement);

    /// <summary>The hand-over an event records, or null when it is not a key transition (or is malformed, which the endorsement check then refuses).</summary>
    private static KeyTransition? Transition(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (r.GetProperty("action").GetString() != AuditChain.KeyTransitionAction) return null;
            var d = r.GetProperty("details");
            return new KeyTransition(Convert.FromBase64String(d.GetProperty("fromPublicKey").GetString()!),
                Convert.FromBase64String(d.GetProperty("toPublicKey").GetString()!), Convert.FromBase64String(d.GetProperty("endorsement").GetString()!));
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            return new KeyTransition([], [], []);
        }
    }

    private static AuditVerification Fail(string problem, long? seq, long line, long events, long checkpoints, long lastSeq, string? lastHash, string? fingerprint) =>
        new(false, events, checkpoints, lastSeq, lastHash, fingerprint, problem, seq, line);

    private static bool TryReadEvent(ReadOnlySpan<byte> line, out long seq, out string prev, out string hash)
    {
        seq = 0; prev = ""; hash = "";
        if (line.Length <= AuditChain.HashSuffixLength || !line[^AuditChain.HashSuffixLength..].StartsWith(",\"hash\":\""u8) || !line.EndsWith("\"}"u8))
            return false;
        hash = Encoding.ASCII.GetString(line[^66..^2]);
        try
        {
            var reader = new Utf8JsonReader(line);
            bool seenSeq = false, seenPrev = false;
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
                if (reader.ValueTextEquals("seq"u8)) { reader.Read(); seq = reader.GetInt64(); seenSeq = true; }
                else if (reader.ValueTextEquals("prev"u8)) { reader.Read(); prev = reader.GetString() ?? ""; seenPrev = true; }
                else reader.Skip();
            }
            return seenSeq && seenPrev;
        }
        catch (JsonException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    public static AuditCheckpoint ParseCheckpoint(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        return new AuditCheckpoint(
            r.GetProperty("seq").GetInt64(),
            r.GetProperty("hash").GetString()!,
            AuditChain.ParseTime(r.GetProperty("time").GetString()!),
            r.GetProperty("keyId").GetString()!,
            r.GetProperty("signature").GetString()!);
    }

    public static string CheckpointLine(AuditCheckpoint cp) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "checkpoint", ["seq"] = cp.Seq, ["hash"] = cp.Hash, ["time"] = AuditChain.FormatTime(cp.Time),
            ["keyId"] = cp.KeyId, ["signature"] = cp.Signature,
        });
}
