using System.Text;
using Hygie.Core.Audit;

namespace Hygie.Core.Tests;

public sealed class AuditChainTests
{
    private static readonly DateTimeOffset T = new(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(1));

    [Fact]
    public void The_canonical_form_is_stable_whatever_the_order_of_details()
    {
        var a = AuditChain.Canonical(7, T, new AuditEntry("alice", "x", "y", Details: new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" }), AuditChain.Genesis);
        var b = AuditChain.Canonical(7, T, new AuditEntry("alice", "x", "y", Details: new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" }), AuditChain.Genesis);
        Assert.Equal(a, b);
        Assert.StartsWith("{\"type\":\"event\",\"seq\":7,\"time\":\"2026-01-02T02:04:05.0000000Z\"", Encoding.UTF8.GetString(a));
    }

    [Fact]
    public void Every_field_changes_the_hash()
    {
        var baseEntry = new AuditEntry("alice", "x", "y", AuditOutcome.Success, "because");
        var reference = AuditChain.Hash(AuditChain.Canonical(1, T, baseEntry, AuditChain.Genesis));
        var variants = new[]
        {
            AuditChain.Canonical(2, T, baseEntry, AuditChain.Genesis),
            AuditChain.Canonical(1, T.AddTicks(1), baseEntry, AuditChain.Genesis),
            AuditChain.Canonical(1, T, baseEntry with { Actor = "bob" }, AuditChain.Genesis),
            AuditChain.Canonical(1, T, baseEntry with { Action = "z" }, AuditChain.Genesis),
            AuditChain.Canonical(1, T, baseEntry with { Target = "w" }, AuditChain.Genesis),
            AuditChain.Canonical(1, T, baseEntry with { Outcome = AuditOutcome.Refused }, AuditChain.Genesis),
            AuditChain.Canonical(1, T, baseEntry with { Reason = null }, AuditChain.Genesis),
            AuditChain.Canonical(1, T, baseEntry, new string('1', 64)),
        };
        Assert.All(variants, v => Assert.NotEqual(reference, AuditChain.Hash(v)));
    }

    [Fact]
    public void An_exported_line_hashes_back_to_its_hash()
    {
        var canonical = AuditChain.Canonical(1, T, new AuditEntry("a", "b", "c \"quoted\" é"), AuditChain.Genesis);
        var hash = AuditChain.Hash(canonical);
        var line = AuditChain.ExportLine(canonical, hash);
        var back = Encoding.UTF8.GetBytes(line[..^AuditChain.HashSuffixLength] + "}");
        Assert.Equal(hash, AuditChain.Hash(back));
        Assert.Equal("c \"quoted\" é", AuditEventJson.Parse(Encoding.UTF8.GetString(canonical), hash).Target);
    }

    [Fact]
    public void An_empty_or_garbage_export_is_not_intact()
    {
        Assert.False(AuditExportVerifier.Verify(new MemoryStream()).Intact);
        var garbage = AuditExportVerifier.Verify(new MemoryStream("{\"type\":\"nope\"}\n"u8.ToArray()));
        Assert.False(garbage.Intact);
        Assert.Contains("line 1", garbage.Problem);
    }
}
