using Hygie.Core.Errors;
using Hygie.Storage.Objects;
using Hygie.Testing;

namespace Hygie.Storage.Tests;

public sealed class FileObjectStoreTests
{
    [Fact]
    public async Task An_uncommitted_write_is_never_visible()
    {
        using var dir = new TempDirectory();
        var store = new FileObjectStore(dir.Path);
        await using (var w = await store.OpenWriteAsync("a/b"))
        {
            await w.WriteAsync(new byte[100]);
            Assert.False(await store.ExistsAsync("a/b"));
        }
        Assert.False(await store.ExistsAsync("a/b"));
        Assert.Empty(await store.ListAsync().ToListAsync());

        await using (var w = await store.OpenWriteAsync("a/b"))
        {
            await w.WriteAsync(new byte[100]);
            await w.CommitAsync();
        }
        Assert.Equal([new StoredObject("a/b", 100)], await store.ListAsync("a/").ToListAsync());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/absolute")]
    [InlineData("a/../../b")]
    [InlineData("Upper")]
    [InlineData("")]
    public async Task Keys_that_could_escape_the_store_are_refused(string key)
    {
        using var dir = new TempDirectory();
        var store = new FileObjectStore(dir.Path);
        await Assert.ThrowsAsync<ValidationFailedException>(() => store.OpenWriteAsync(key));
    }

    [Fact]
    public async Task Reading_a_missing_object_names_it()
    {
        using var dir = new TempDirectory();
        var e = await Assert.ThrowsAsync<NotFoundException>(() => new FileObjectStore(dir.Path).OpenReadAsync("nope"));
        Assert.Contains("nope", e.Message);
    }
}
