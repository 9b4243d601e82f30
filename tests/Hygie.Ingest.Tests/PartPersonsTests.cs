using System.Net.Http.Json;
using DuckDB.NET.Data;
using Hygie.Core.Catalog;
using Hygie.Core.Identity;
using Hygie.Ingest.Deposit;
using Hygie.Testing;

namespace Hygie.Ingest.Tests;

/// <summary>The person index a deposit gives each part of a table with persons, which workspaces join on.</summary>
public class PartPersonsTests
{
    [Fact]
    public async Task Each_part_lists_its_persons_once_and_every_row_points_to_its_own_person()
    {
        await using var server = await RunningServer.StartAsync();
        (await server.Operator().PostAsJsonAsync("/api/datasets", new { name = "snds", kind = "snds", classification = "snds", description = "test" })).EnsureSuccessStatusCode();
        var producer = server.Client(await server.IssueTokenAsync("cnam", Roles.Producer));
        await using (var csv = File.OpenRead(Path.Combine(TestData.Synthetic, "ER_PRS_F.csv")))
            (await producer.PostAsync("/api/datasets/snds/deposits?table=ER_PRS_F", new StreamContent(csv))).EnsureSuccessStatusCode();

        var service = (DatasetService)server.App.Services.GetService(typeof(DatasetService))!;
        var part = Assert.Single(await service.PartsAsync("snds", "ER_PRS_F"));
        Assert.NotNull(part.PersonsObjectId);
        Assert.StartsWith(part.ObjectId[..part.ObjectId.LastIndexOf('/')], part.PersonsObjectId);
        await server.Hub.Hub.Sealed.VerifyAsync(part.PersonsObjectId); // sealed under the dataset's key, like the part

        using var dir = new TempDirectory();
        var rows = await UnsealAsync(server, part.ObjectId, dir.Combine("part.parquet"));
        var persons = await UnsealAsync(server, part.PersonsObjectId, dir.Combine("persons.parquet"));
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = $"""
            SELECT
              (SELECT count(*) FROM read_parquet('{persons}')),
              (SELECT count(DISTINCT person_id) FROM read_parquet('{persons}')),
              (SELECT count(DISTINCT person_id) FROM read_parquet('{rows}')),
              (SELECT count(*) FROM read_parquet('{rows}') r LEFT JOIN read_parquet('{persons}', file_row_number = true) p
                 ON r.{StoredColumns.PersonIndex} = p.file_row_number
               WHERE r.person_id IS DISTINCT FROM p.person_id),
              (SELECT max(person_index) FROM read_parquet('{rows}'))
            """;
        using var reader = cmd.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(part.Persons, reader.GetInt64(0));
        Assert.Equal(part.Persons, reader.GetInt64(1)); // each person once
        Assert.Equal(part.Persons, reader.GetInt64(2)); // and every person of the part
        Assert.Equal(0, reader.GetInt64(3)); // each row's index names its own person
        Assert.Equal(part.Persons - 1, reader.GetInt64(4));
    }

    private static async Task<string> UnsealAsync(RunningServer server, string objectId, string path)
    {
        await using (var sealedObject = await server.Hub.Hub.Sealed.OpenReadAsync(objectId))
        await using (var file = File.Create(path))
            await sealedObject.CopyToAsync(file);
        return path;
    }
}
