using Hygie.Core.Errors;
using Hygie.Storage.Locations;
using Hygie.Storage.Operations.Backup;
using Hygie.Storage.Operations.Relocation;

namespace Hygie.Storage.Tests.Operations;

public sealed class UnreachableLocationTests
{
    /// <summary>A location whose path runs through a regular file: no backend can open it.</summary>
    private static async Task DeclareBrokenAsync(OperationsHub ops, string name, string kind)
    {
        var blocker = ops.Directory.Combine("not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        await ops.Hub.Locations.DeclareAsync(new DeclaredLocation(name, kind, "Provider", "files", "FR", "eu-only", ["HDS", "SecNumCloud"],
            new Dictionary<string, string> { ["path"] = Path.Combine(blocker, "store") }, null, default), "test");
    }

    [Fact]
    public async Task A_backup_to_an_unreachable_location_names_it_in_one_line()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(2);
        await DeclareBrokenAsync(ops, "broken", LocationKinds.Backup);
        var e = await Assert.ThrowsAsync<HubStateException>(() => HubBackup.RunAsync(ops.Hub, "broken"));
        Assert.StartsWith("location 'broken': cannot open the backup store", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task A_migration_to_an_unreachable_location_names_it_and_the_hub_does_not_move()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.SealAsync(2);
        await DeclareBrokenAsync(ops, "broken", LocationKinds.Objects);
        var e = await Assert.ThrowsAsync<HubStateException>(() => HubMigration.RunAsync(ops.Hub, new MigrationRequest { ObjectsTo = "broken", OpenOptions = ops.OpenOptions }));
        Assert.StartsWith("location 'broken': cannot open the object store", e.Message);
        Assert.Null(await HubMigration.StatusAsync(ops.Hub));
        await ops.ReopenAsync();
        Assert.Null(ops.Hub.Config.Objects.Location);
        await ops.AssertDataReadableAsync();
    }

    [Fact]
    public async Task Asking_for_a_location_that_is_not_declared_lists_the_declared_ones()
    {
        await using var ops = await OperationsHub.CreateAsync();
        await ops.DeclareAsync("scw", LocationKinds.Backup);
        var e = await Assert.ThrowsAsync<NotFoundException>(() => HubBackup.RunAsync(ops.Hub, "scw-typo"));
        Assert.Contains("no location named 'scw-typo'", e.Message);
        Assert.Contains("scw", e.Message);
        var kind = await Assert.ThrowsAsync<ValidationFailedException>(() => HubBackup.RunAsync(ops.Hub, "local-objects"));
        Assert.Contains("is of kind 'objects', not 'backup'", kind.Message);
    }
}
