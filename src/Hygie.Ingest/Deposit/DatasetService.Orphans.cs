using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Hygie.Storage.Metadata;

namespace Hygie.Ingest.Deposit;

/// <summary>
/// Objects of deposits that never committed. A deposit that fails deletes its own objects; one whose server was killed
/// cannot, and leaves sealed objects that no manifest names (invisible, unreadable without the dataset key, but taking
/// room). The first deposit into a dataset after the server starts deletes them: every object under
/// <c>datasets/{dataset}/dep-…/</c> that no committed part or quarantine names and whose deposit is not running here.
/// </summary>
public sealed partial class DatasetService
{
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _swept = new(StringComparer.Ordinal);

    [GeneratedRegex("^datasets/[a-z0-9][a-z0-9_-]*/(dep-[0-9]{14}-[0-9a-f]{10})/")]
    private static partial Regex DepositObject();

    private string NewDepositId() => $"dep-{hub.Clock.GetUtcNow():yyyyMMddHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5))}";

    /// <summary>Deletes the objects left by deposits interrupted in an earlier run; once per dataset and process.</summary>
    /// <returns>how many objects were deleted.</returns>
    public async Task<int> SweepOnceAsync(string dataset, CancellationToken ct = default)
    {
        if (!_swept.TryAdd(dataset, 0)) return 0;
        var listed = new List<(string Key, string Deposit)>();
        await foreach (var o in hub.Objects.ListAsync($"datasets/{dataset}/", ct))
            if (DepositObject().Match(o.Key) is { Success: true } m) listed.Add((o.Key, m.Groups[1].Value));
        if (listed.Count == 0) return 0;
        // Running deposits are read after the listing, the manifest after them: an object listed belongs to a deposit
        // that was running then, so it is either still running or has committed (or deleted) what it wrote.
        var running = _running.Keys.ToHashSet(StringComparer.Ordinal);
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        await using (var c = await hub.Metadata.OpenConnectionAsync(ct))
        {
            await using (var cmd = c.Command("SELECT object_id, persons_object FROM ing_parts WHERE dataset = @d"))
            {
                cmd.AddParameter("d", dataset);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    referenced.Add(r.GetString(0));
                    if (!await r.IsDBNullAsync(1, ct)) referenced.Add(r.GetString(1));
                }
            }
            await using (var cmd = c.Command("SELECT quarantine_object FROM ing_deposits WHERE dataset = @d AND quarantine_object IS NOT NULL"))
            {
                cmd.AddParameter("d", dataset);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) referenced.Add(r.GetString(0));
            }
        }
        var deleted = 0;
        foreach (var (key, deposit) in listed)
        {
            if (running.Contains(deposit) || referenced.Contains(key)) continue;
            await hub.Objects.DeleteAsync(key, ct);
            deleted++;
        }
        return deleted;
    }
}
