using DuckDB.NET.Data;
using Hygie.Testing;

namespace Hygie.Analytics.Tests;

/// <summary>
/// FHIR tables carry keyed pseudonyms of resources (<c>id</c>, <c>encounter_id</c>): a workspace re-keys them with the
/// project's key as it does persons, so two projects cannot link rows through them, and a reference still meets its
/// resource inside one workspace.
/// </summary>
public sealed class ResourceKeyTests
{
    [Fact]
    public async Task Resource_ids_are_the_projects_own_and_references_still_meet_their_resources()
    {
        using var dir = new TempDirectory();
        using (var db = new DuckDBConnection("Data Source=:memory:"))
        {
            db.Open();
            using var cmd = db.CreateCommand();
            cmd.CommandText = $"""
                COPY (SELECT printf('e%02d', i) AS id, printf('p%02d', i % 4) AS person_id, DATE '2020-01-01' + CAST(i AS INTEGER) AS start_date
                      FROM range(8) t(i)) TO '{dir.Combine("encounter.parquet")}' (FORMAT parquet);
                COPY (SELECT printf('o%02d', i) AS id, printf('p%02d', (i % 8) % 4) AS person_id, printf('e%02d', i % 8) AS encounter_id,
                             60.0 + i AS value_quantity FROM range(24) t(i)) TO '{dir.Combine("observation.parquet")}' (FORMAT parquet);
                """;
            cmd.ExecuteNonQuery();
        }
        WorkspacePart Open(string name) => new(_ => Task.FromResult<Stream>(File.OpenRead(dir.Combine(name))));
        WorkspaceTableSpec[] specs =
        [
            new("encounter", ["id", "start_date"], "person_id", null, null, null, [Open("encounter.parquet")], ["id"]),
            new("observation", ["id", "encounter_id", "value_quantity"], "person_id", null, null, null, [Open("observation.parquet")], ["id", "encounter_id"]),
        ];
        using var staging = MemoryStaging.Create();
        using var a = await Workspace.BuildAsync(specs, hub => "a:" + hub, new HashSet<string>(), new WorkspaceLimits(), staging);
        using var b = await Workspace.BuildAsync(specs, hub => "b:" + hub, new HashSet<string>(), new WorkspaceLimits(), staging);

        async Task<List<string>> Ids(Workspace w, string sql) => [.. (await w.QueryAsync(sql)).Rows.Select(r => (string)r[0]!)];
        var encountersA = await Ids(a, "SELECT id FROM encounter ORDER BY id");
        Assert.Equal(8, encountersA.Count);
        Assert.All(encountersA, id => Assert.StartsWith("a:resource/e", id));
        Assert.Empty(encountersA.Intersect(await Ids(b, "SELECT id FROM encounter")));
        Assert.Empty((await Ids(a, "SELECT id FROM observation")).Intersect(await Ids(b, "SELECT id FROM observation")));
        // every observation still finds its encounter, and the same person on both sides
        foreach (var w in new[] { a, b })
            Assert.Equal(24L, Convert.ToInt64((await w.QueryAsync(
                "SELECT count(*) FROM observation o JOIN encounter e ON o.encounter_id = e.id AND o.person_id = e.person_id")).Rows.Single()[0]));
    }
}
