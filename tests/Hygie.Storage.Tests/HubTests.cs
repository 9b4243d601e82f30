using Hygie.Core.Errors;
using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;
using Hygie.Testing;

namespace Hygie.Storage.Tests;

public sealed class HubTests
{
    [Fact]
    public async Task Init_refuses_an_existing_hub_and_changes_nothing()
    {
        await using var hub = await TestHub.CreateAsync();
        await hub.Hub.DisposeAsync();
        var before = DirectorySnapshot.Of(hub.DataDirectory);
        var e = await Assert.ThrowsAsync<HubStateException>(() => Hub.Hub.InitAsync(hub.DataDirectory, new HubOpenOptions()));
        Assert.Contains("already exists", e.Message);
        Assert.Equal(before, DirectorySnapshot.Of(hub.DataDirectory));
    }

    [Fact]
    public async Task Opening_a_directory_without_a_hub_says_so()
    {
        using var dir = new TempDirectory();
        var e = await Assert.ThrowsAsync<HubStateException>(() => Hub.Hub.OpenAsync(dir.Combine("nothing-here"), new HubOpenOptions()));
        Assert.Contains("no hub at", e.Message);
        Assert.False(Directory.Exists(dir.Combine("nothing-here")));
    }

    [Fact]
    public async Task A_store_from_a_newer_schema_is_refused_untouched()
    {
        await using var hub = await TestHub.CreateAsync();
        await using (var c = await hub.Hub.Metadata.OpenConnectionAsync())
        await using (var cmd = c.Command("UPDATE schema_versions SET version = 99 WHERE module = 'storage.audit'"))
            await cmd.ExecuteNonQueryAsync();
        await hub.Hub.DisposeAsync();
        var e = await Assert.ThrowsAsync<HubStateException>(() => Hub.Hub.OpenAsync(hub.DataDirectory, new HubOpenOptions()));
        Assert.Contains("newer than this hygie knows", e.Message);
        Assert.Equal("schema-too-new", e.Code);
    }

    [Fact]
    public async Task Module_migrations_apply_once_in_order()
    {
        var migrations = new[]
        {
            new Migration("test.module", 1, "t", "CREATE TABLE t1 (id TEXT PRIMARY KEY)"),
            new Migration("test.module", 2, "t", "ALTER TABLE t1 ADD COLUMN v {bigint}"),
        };
        await using var hub = await TestHub.CreateAsync(migrations: migrations);
        await hub.Hub.DisposeAsync();
        await using var reopened = await Hub.Hub.OpenAsync(hub.DataDirectory, new HubOpenOptions { Migrations = migrations });
        await using var c = await reopened.Metadata.OpenConnectionAsync();
        var versions = await MigrationRunner.ReadVersionsAsync(c, default);
        Assert.Equal(2, versions["test.module"]);
    }

    [Fact]
    public async Task Tokens_expire_and_can_be_revoked()
    {
        var clock = new ManualClock();
        await using var hub = await TestHub.CreateAsync(clock);
        var tokens = hub.Hub.Tokens;
        Assert.NotNull(await tokens.ValidateAsync(hub.OperatorToken));
        var issued = await tokens.IssueAsync("alice", ["researcher"], clock.GetUtcNow().AddHours(1));
        Assert.Equal("alice", (await tokens.ValidateAsync(issued.Secret))!.Subject);
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Null(await tokens.ValidateAsync(issued.Secret));

        var other = await tokens.IssueAsync("bob", ["reviewer"]);
        await tokens.RevokeAsync(other.Token.Id);
        Assert.Null(await tokens.ValidateAsync(other.Secret));
        Assert.Null(await tokens.ValidateAsync(other.Secret[..^1] + "x"));
        Assert.Null(await tokens.ValidateAsync("not-a-token"));

        // Only the hash is stored.
        await hub.Hub.DisposeAsync();
        var db = await File.ReadAllBytesAsync(Path.Combine(hub.DataDirectory, "metadata.db"));
        Assert.True(db.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(hub.OperatorToken)) < 0);
    }
}
