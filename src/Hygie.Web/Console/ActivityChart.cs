using Hygie.Storage.Audit;
using Hygie.Storage.Hub;

namespace Hygie.Web.Console;

/// <summary>Deposits, queries and releases per day, counted from the audit log, for the operator's chart and its table.</summary>
public sealed class ActivityChart(Hub hub)
{
    public const int Days = 14;

    public async Task<IReadOnlyList<ActivityDay>> DaysAsync(CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(hub.Clock.GetUtcNow().UtcDateTime);
        var first = today.AddDays(-(Days - 1));
        var since = new DateTimeOffset(first.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var counts = await hub.Audit.CountByDayAsync(since, ["dataset.deposit", "analysis.query"], ct);
        // A release is counted on the day it became public: its "approved → released" transition.
        var released = (await hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "release.state", Since: since, Limit: 10_000), ct))
            .Where(e => e.Action == "release.state" && e.Entry.Reason?.EndsWith("released", StringComparison.Ordinal) == true)
            .GroupBy(e => DateOnly.FromDateTime(e.Time.UtcDateTime)).ToDictionary(g => g.Key, g => (long)g.Count());
        long Count(DateOnly day, string action) => counts.Where(c => c.Day == day && c.Action == action).Sum(c => c.Count);
        return Enumerable.Range(0, Days).Select(i => first.AddDays(i))
            .Select(d => new ActivityDay(d, Count(d, "dataset.deposit"), Count(d, "analysis.query"), released.GetValueOrDefault(d))).ToList();
    }
}

public sealed record ActivityDay(DateOnly Day, long Deposits, long Queries, long Releases)
{
    public long Max => Math.Max(Deposits, Math.Max(Queries, Releases));
}
