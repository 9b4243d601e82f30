using Hygie.Core.Audit;
using Hygie.Storage.Metadata;
using Hygie.Storage.Operations;

namespace Hygie.Storage.Tests.Operations;

/// <summary>The accesses by country that the compliance report reads are kept as events are appended, on SQLite and PostgreSQL alike.</summary>
public sealed class AccessSummaryTests
{
    private static AuditEntry Access(string actor, string? country) => new(actor, "http.request", "GET /api/projects",
        Details: country is null ? new Dictionary<string, string> { ["status"] = "200" } : new Dictionary<string, string> { ["status"] = "200", ["country"] = country });

    [Theory]
    [MemberData(nameof(LocationBackends.All), MemberType = typeof(LocationBackends))]
    public async Task Accesses_are_counted_by_country_on_append_and_those_outside_the_eea_listed_newest_first(string backends)
    {
        await using var ops = await OperationsHub.CreateAsync(backends);
        await ops.Hub.Audit.AppendAsync(Access("wang", "CN"));
        await ops.Hub.Audit.AppendManyAsync([Access("marie", "FR"), Access("marie", "fr"), Access("bob", "US"), Access("x", "XX"), Access("y", "not-a-country"), Access("z", null)]);
        await ops.Hub.Audit.AppendAsync(Access("wang", "CN"));

        var report = (await ComplianceReport.BuildAsync(ops.Hub)).AccessesFromOutsideEea;
        Assert.Equal((3L, 5L), (report.Count, report.AccessesWithKnownCountry));
        Assert.Equal([("CN", 2L), ("US", 1L)], report.ByCountry.Select(c => (c.Country, c.Accesses)));
        Assert.Equal(["wang", "bob", "wang"], report.Recent.Select(a => a.Actor));
        Assert.Equal("3 access(es) recorded from outside the EEA (CN: 2, US: 1)", report.Summary);

        // Kept in the same transaction as the events: one row per country, one per access from outside the EEA.
        await using var c = await ops.Hub.Metadata.OpenConnectionAsync();
        await using var cmd = c.Command("SELECT (SELECT COUNT(*) FROM audit_countries) * 100 + (SELECT COUNT(*) FROM audit_extra_eea)");
        Assert.Equal(303L, Convert.ToInt64(await cmd.ExecuteScalarAsync()));
    }
}
