using System.Text;
using Hygie.Core.Audit;
using Hygie.Testing;

namespace Hygie.Storage.Tests;

public sealed class AuditLogTests : IAsyncLifetime
{
    private TestHub _hub = null!;

    public async Task InitializeAsync()
    {
        _hub = await TestHub.CreateAsync();
        // 2,500 events: several automatic checkpoints (every 1,000) plus the one signed at export.
        var entries = Enumerable.Range(0, 2500).Select(i => new AuditEntry($"user-{i % 7}", "dataset.read", $"ds-{i % 3}",
            Details: new Dictionary<string, string> { ["n"] = i.ToString() })).ToList();
        foreach (var batch in entries.Chunk(500)) await _hub.Hub.Audit.AppendManyAsync(batch);
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private async Task<List<string>> ExportLinesAsync()
    {
        using var buffer = new MemoryStream();
        await _hub.Hub.Audit.ExportAsync(buffer);
        return Encoding.UTF8.GetString(buffer.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    private static AuditVerification Verify(IEnumerable<string> lines, byte[]? trusted = null) =>
        AuditExportVerifier.Verify(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n")), trusted);

    private static int LineOfEvent(List<string> lines, long seq) =>
        lines.FindIndex(l => l.StartsWith($"{{\"type\":\"event\",\"seq\":{seq},", StringComparison.Ordinal));

    [Fact]
    public async Task An_untouched_export_verifies()
    {
        var lines = await ExportLinesAsync();
        var result = Verify(lines, _hub.Hub.Vault.SigningPublicKey);
        Assert.True(result.Intact, result.Problem);
        Assert.Equal(2501, result.Events); // + hub.init
        Assert.Equal(4, result.Checkpoints); // init, 1001, 2001, 2501
    }

    [Fact]
    public async Task Concurrent_appends_form_one_chain()
    {
        var tasks = Enumerable.Range(0, 500).Select(i => _hub.Hub.Audit.AppendAsync(new AuditEntry("u", "x", $"t{i}")));
        var events = await Task.WhenAll(tasks);
        Assert.Equal(500, events.Select(e => e.Seq).Distinct().Count());
        Assert.True(Verify(await ExportLinesAsync()).Intact);
    }

    [Fact]
    public async Task A_modified_event_is_named()
    {
        var lines = await ExportLinesAsync();
        var i = LineOfEvent(lines, 1234);
        lines[i] = lines[i].Replace("\"actor\":\"user-", "\"actor\":\"someone-");
        var result = Verify(lines);
        Assert.False(result.Intact);
        Assert.Equal(1234, result.BrokenSeq);
        Assert.Contains("event 1234", result.Problem);
        Assert.Contains("modified", result.Problem);
    }

    [Fact]
    public async Task A_modified_event_with_a_recomputed_hash_breaks_the_chain()
    {
        var lines = await ExportLinesAsync();
        var i = LineOfEvent(lines, 700);
        var canonical = lines[i][..^AuditChain.HashSuffixLength].Replace("dataset.read", "dataset.list") + "}";
        lines[i] = AuditChain.ExportLine(Encoding.UTF8.GetBytes(canonical), AuditChain.Hash(Encoding.UTF8.GetBytes(canonical)));
        var result = Verify(lines);
        Assert.False(result.Intact);
        Assert.Equal(701, result.BrokenSeq);
        Assert.Contains("chain is broken", result.Problem);
    }

    [Fact]
    public async Task A_deleted_event_is_named()
    {
        var lines = await ExportLinesAsync();
        lines.RemoveAt(LineOfEvent(lines, 42));
        var result = Verify(lines);
        Assert.False(result.Intact);
        Assert.Equal(42, result.BrokenSeq);
        Assert.Contains("event 42 is missing", result.Problem);
    }

    [Fact]
    public async Task Reordered_events_are_detected()
    {
        var lines = await ExportLinesAsync();
        int a = LineOfEvent(lines, 100), b = LineOfEvent(lines, 101);
        (lines[a], lines[b]) = (lines[b], lines[a]);
        var result = Verify(lines);
        Assert.False(result.Intact);
        Assert.Equal(100, result.BrokenSeq);
    }

    [Fact]
    public async Task A_truncated_tail_is_caught_by_the_signed_header()
    {
        var lines = await ExportLinesAsync();
        // Cut everything after event 2000, including checkpoints: the remaining file is a consistent chain.
        var cut = LineOfEvent(lines, 2001);
        var result = Verify(lines.Take(cut));
        Assert.False(result.Intact);
        Assert.Equal(2001, result.BrokenSeq);
        Assert.Contains("truncated", result.Problem);
    }

    [Fact]
    public async Task A_forged_checkpoint_or_header_is_refused()
    {
        var lines = await ExportLinesAsync();
        var cp = lines.FindIndex(l => l.StartsWith("{\"type\":\"checkpoint\"", StringComparison.Ordinal) && l.Contains("\"seq\":1001,"));
        var parsed = AuditExportVerifier.ParseCheckpoint(lines[cp]);
        lines[cp] = AuditExportVerifier.CheckpointLine(parsed with { Time = parsed.Time.AddSeconds(1) });
        var result = Verify(lines);
        Assert.False(result.Intact);
        Assert.Contains("invalid signature", result.Problem);

        var header = (await ExportLinesAsync())[0];
        var forged = ExportHeader.Parse(header) with { LastSeq = 10 };
        var withForgedHeader = (await ExportLinesAsync()).Skip(1).Prepend(forged.ToLine());
        Assert.Contains("header's signature", Verify(withForgedHeader).Problem);
    }

    [Fact]
    public async Task An_export_signed_by_another_key_is_refused_when_the_key_is_pinned()
    {
        await using var other = await TestHub.CreateAsync();
        var result = Verify(await ExportLinesAsync(), other.Hub.Vault.SigningPublicKey);
        Assert.False(result.Intact);
        Assert.Contains("not by the trusted key", result.Problem);
    }

    [Fact]
    public async Task Events_can_be_queried_by_actor()
    {
        var events = await _hub.Hub.Audit.QueryAsync(new Storage.Audit.AuditQuery(Actor: "user-3", Limit: 5));
        Assert.Equal(5, events.Count);
        Assert.All(events, e => Assert.Equal("user-3", e.Actor));
        Assert.True(events[0].Seq > events[1].Seq);
    }
}
