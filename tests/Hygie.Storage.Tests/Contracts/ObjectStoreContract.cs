using System.Security.Cryptography;
using System.Text;
using Hygie.Core.Errors;
using Hygie.Storage.Keys;
using Hygie.Storage.Metadata;
using Hygie.Storage.Objects;
using Hygie.Storage.Sealing;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Contracts;

/// <summary>
/// What every object store must do: atomic writes (nothing visible before commit, nothing left after a write disposed
/// without commit), streaming reads, not-found, listing in key order, deletion, and sealed objects end to end.
/// Each derived class gives a fresh, empty store.
/// </summary>
public abstract class ObjectStoreContract : IAsyncLifetime
{
    /// <summary>More than one S3 part (8 MiB), so multipart uploads are exercised.</summary>
    protected const int Large = 20 * 1024 * 1024 + 12345;

    protected IObjectStore Store { get; private set; } = null!;

    /// <summary>A new, empty store of the implementation under test.</summary>
    protected abstract Task<IObjectStore> CreateStoreAsync();

    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        await CleanUpAsync();
        (Store as IDisposable)?.Dispose();
    }

    protected async Task PutAsync(string key, byte[] content)
    {
        await using var write = await Store.OpenWriteAsync(key);
        await write.WriteAsync(content);
        await write.CommitAsync();
    }

    protected async Task<byte[]> ReadAllAsync(string key)
    {
        await using var read = await Store.OpenReadAsync(key);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        return copy.ToArray();
    }

    private async Task<List<StoredObject>> ListAsync(string prefix = "")
    {
        var list = new List<StoredObject>();
        await foreach (var o in Store.ListAsync(prefix)) list.Add(o);
        return list;
    }

    private async Task AssertAbsentAsync(string key)
    {
        Assert.False(await Store.ExistsAsync(key));
        Assert.DoesNotContain(await ListAsync(), o => o.Key == key);
        await Assert.ThrowsAsync<NotFoundException>(() => Store.OpenReadAsync(key));
    }

    [ContractFact]
    public async Task Committed_objects_of_any_size_read_back_whole()
    {
        var small = Encoding.UTF8.GetBytes("a small object");
        var large = RandomNumberGenerator.GetBytes(Large);
        await PutAsync("o/small", small);
        await PutAsync("o/empty", []);

        // The large one in odd-sized pieces, so part boundaries fall inside writes.
        await using (var write = await Store.OpenWriteAsync("o/large"))
        {
            for (var offset = 0; offset < large.Length; offset += 1_000_003)
                await write.WriteAsync(large.AsMemory(offset, Math.Min(1_000_003, large.Length - offset)));
            await write.CommitAsync();
        }

        Assert.Equal(small, await ReadAllAsync("o/small"));
        Assert.Empty(await ReadAllAsync("o/empty"));
        Assert.Equal(SHA256.HashData(large), SHA256.HashData(await ReadAllAsync("o/large")));
        Assert.True(await Store.ExistsAsync("o/large"));
        var listed = await ListAsync("o/");
        Assert.Equal(Large, listed.Single(o => o.Key == "o/large").Length);
        Assert.Equal(0, listed.Single(o => o.Key == "o/empty").Length);
    }

    [ContractFact]
    public async Task Synchronous_writes_work_as_the_sealing_stream_uses_them()
    {
        var content = RandomNumberGenerator.GetBytes(9 * 1024 * 1024 + 7);
        await using (var write = await Store.OpenWriteAsync("sync/object"))
        {
            for (var offset = 0; offset < content.Length; offset += 65536)
                write.Write(content, offset, Math.Min(65536, content.Length - offset));
            write.Flush();
            await write.CommitAsync();
        }
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await ReadAllAsync("sync/object")));
    }

    [ContractFact]
    public async Task A_write_disposed_without_commit_leaves_nothing()
    {
        await using (var write = await Store.OpenWriteAsync("gone/small"))
            await write.WriteAsync(Encoding.UTF8.GetBytes("never committed"));
        await using (var write = await Store.OpenWriteAsync("gone/large"))
            await write.WriteAsync(RandomNumberGenerator.GetBytes(Large));
        using (var write = await Store.OpenWriteAsync("gone/sync"))
            write.Write(RandomNumberGenerator.GetBytes(9 * 1024 * 1024));

        await AssertAbsentAsync("gone/small");
        await AssertAbsentAsync("gone/large");
        await AssertAbsentAsync("gone/sync");
        Assert.Empty(await ListAsync());
    }

    [ContractFact]
    public async Task Readers_never_see_a_write_in_progress_and_an_overwrite_appears_whole()
    {
        var first = RandomNumberGenerator.GetBytes(3000);
        var second = RandomNumberGenerator.GetBytes(Large);
        await PutAsync("doc/v", first);

        await using (var write = await Store.OpenWriteAsync("doc/v"))
        {
            await write.WriteAsync(second.AsMemory(0, Large - 100));
            // Several parts are uploaded by now; readers still see the first version, whole.
            Assert.Equal(first, await ReadAllAsync("doc/v"));
            Assert.Equal(3000, (await ListAsync("doc/")).Single().Length);
            await AssertAbsentAsync("doc/w");

            await write.WriteAsync(second.AsMemory(Large - 100));
            await write.CommitAsync();
        }
        Assert.Equal(SHA256.HashData(second), SHA256.HashData(await ReadAllAsync("doc/v")));

        // A new object under a new key stays invisible until its commit.
        await using (var write = await Store.OpenWriteAsync("doc/w"))
        {
            await write.WriteAsync(second);
            await AssertAbsentAsync("doc/w");
            await write.CommitAsync();
        }
        Assert.True(await Store.ExistsAsync("doc/w"));
    }

    [ContractFact]
    public async Task A_missing_object_is_not_found_and_named()
    {
        var e = await Assert.ThrowsAsync<NotFoundException>(() => Store.OpenReadAsync("nowhere/object-1"));
        Assert.Contains("nowhere/object-1", e.Message);
        Assert.Contains(Store.Location, e.Message);
        Assert.False(await Store.ExistsAsync("nowhere/object-1"));
    }

    [ContractFact]
    public async Task Listing_filters_by_prefix_in_key_order_with_lengths()
    {
        string[] keys = ["b/2", "a/1", "a/3", "a/2", "ab/1", "b/1", "c", "a/10"];
        for (var i = 0; i < keys.Length; i++) await PutAsync(keys[i], new byte[i + 1]);

        var all = await ListAsync();
        Assert.Equal(keys.Order(StringComparer.Ordinal), all.Select(o => o.Key));
        Assert.Equal(Array.IndexOf(keys, "ab/1") + 1, all.Single(o => o.Key == "ab/1").Length);
        Assert.Equal(["a/1", "a/10", "a/2", "a/3"], (await ListAsync("a/")).Select(o => o.Key));
        Assert.Equal(["a/1", "a/10", "a/2", "a/3", "ab/1"], (await ListAsync("a")).Select(o => o.Key));
        Assert.Empty(await ListAsync("z"));
    }

    [ContractFact]
    public async Task Delete_removes_an_object_and_tolerates_a_missing_one()
    {
        await PutAsync("d/1", [1, 2, 3]);
        await PutAsync("d/2", [4]);
        await Store.DeleteAsync("d/1");
        await AssertAbsentAsync("d/1");
        Assert.Equal([4], await ReadAllAsync("d/2"));
        await Store.DeleteAsync("d/1");
        await Store.DeleteAsync("d/never-was");
    }

    [ContractFact]
    public async Task Keys_that_could_escape_or_collide_are_refused()
    {
        foreach (var key in new[] { "../x", "a/../../x", "/abs", "A/b", "a//b", "a/", "", "a b" })
        {
            await Assert.ThrowsAsync<ValidationFailedException>(() => Store.OpenWriteAsync(key));
            await Assert.ThrowsAnyAsync<ValidationFailedException>(() => Store.OpenReadAsync(key));
        }
    }

    [ContractFact]
    public async Task Sealed_objects_round_trip_and_a_renamed_copy_is_detected()
    {
        await using var keys = await SealingKeys.CreateAsync();
        var sealedStore = new SealedObjectStore(Store, keys.Ring);
        var keyId = await keys.Ring.CreateAsync("dataset", "ds-contract");

        var marker = Encoding.UTF8.GetBytes("PLAINTEXT-MARKER-0123456789");
        var plain = new byte[3 * 1024 * 1024 + 17];
        RandomNumberGenerator.Fill(plain);
        marker.CopyTo(plain, 1000);

        var info = await sealedStore.WriteAsync("datasets/ds-contract/part-0001", keyId, async (sink, ct) =>
        {
            for (var offset = 0; offset < plain.Length; offset += 100_000)
                await sink.WriteAsync(plain.AsMemory(offset, Math.Min(100_000, plain.Length - offset)), ct);
        });
        Assert.Equal(plain.Length, info.PlaintextLength);

        var raw = await ReadAllAsync("datasets/ds-contract/part-0001");
        Assert.Equal(info.CiphertextLength, raw.Length);
        Assert.True(raw.AsSpan().IndexOf(marker) < 0, "the plaintext must not reach the object store");

        using (var read = await sealedStore.OpenReadAsync("datasets/ds-contract/part-0001"))
        using (var copy = new MemoryStream())
        {
            await read.CopyToAsync(copy);
            Assert.Equal(SHA256.HashData(plain), SHA256.HashData(copy.ToArray()));
        }
        Assert.Equal(info.SealDigest, await sealedStore.VerifyAsync("datasets/ds-contract/part-0001"));

        // The same ciphertext under another object id does not unseal: objects are bound to their id.
        await PutAsync("datasets/ds-contract/part-0002", raw);
        await Assert.ThrowsAsync<IntegrityException>(() => sealedStore.VerifyAsync("datasets/ds-contract/part-0002"));

        // A failed seal (the writer throws) leaves no object behind.
        await Assert.ThrowsAsync<InvalidOperationException>(() => sealedStore.WriteAsync("datasets/ds-contract/part-0003", keyId,
            async (sink, ct) =>
            {
                await sink.WriteAsync(plain.AsMemory(0, 2_000_000), ct);
                throw new InvalidOperationException("the source broke");
            }));
        await AssertAbsentAsync("datasets/ds-contract/part-0003");
    }

    [ContractFact]
    public async Task Ranges_read_back_and_a_sealed_object_reads_at_random_with_every_chunk_authenticated()
    {
        var content = new byte[300_000];
        RandomNumberGenerator.Fill(content);
        await PutAsync("ranges/plain", content);
        Assert.Equal(content.Length, await Store.LengthAsync("ranges/plain"));
        foreach (var (offset, length) in new (long, long)[] { (0, 10), (123_456, 50_000), (299_990, 100), (300_000, 5), (0, 0) })
        {
            await using var range = await Store.OpenReadAsync("ranges/plain", offset, length);
            using var copy = new MemoryStream();
            await range.CopyToAsync(copy);
            Assert.Equal(content.AsSpan((int)Math.Min(offset, content.Length), (int)Math.Min(length, Math.Max(0, content.Length - offset))).ToArray(), copy.ToArray());
        }
        await Assert.ThrowsAsync<NotFoundException>(() => Store.LengthAsync("ranges/absent"));
        await Assert.ThrowsAsync<NotFoundException>(() => Store.OpenReadAsync("ranges/absent", 0, 10));

        await using var keys = await SealingKeys.CreateAsync();
        var sealedStore = new SealedObjectStore(Store, keys.Ring);
        var keyId = await keys.Ring.CreateAsync("dataset", "ds-ranges");
        const int chunk = 4096;
        await sealedStore.WriteAsync("ranges/sealed", keyId, (sink, ct) => sink.WriteAsync(content, ct).AsTask(), chunkSize: chunk);

        await using (var stream = await sealedStore.OpenRandomAccessAsync("ranges/sealed"))
        {
            Assert.True(stream.CanSeek);
            Assert.Equal(content.Length, stream.Length);
            var random = new Random(7);
            for (var i = 0; i < 40; i++)
            {
                var offset = random.Next(content.Length);
                var buffer = new byte[random.Next(1, 5 * chunk)];
                stream.Position = offset;
                var n = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false);
                Assert.Equal(Math.Min(buffer.Length, content.Length - offset), n);
                Assert.True(content.AsSpan(offset, n).SequenceEqual(buffer.AsSpan(0, n)), $"bytes at {offset}");
            }
            stream.Position = content.Length;
            Assert.Equal(0, await stream.ReadAsync(new byte[10]));

            // positional reads from several threads at once, as a workspace's staging makes them
            var ranges = Enumerable.Range(0, 24).Select(i => (Offset: (long)random.Next(content.Length), Length: random.Next(1, 6 * chunk))).ToList();
            var read = await Task.WhenAll(ranges.Select(r => Task.Run(async () =>
            {
                var buffer = new byte[r.Length];
                var n = await stream.ReadAtAsync(r.Offset, buffer);
                return buffer[..n];
            })));
            for (var i = 0; i < ranges.Count; i++)
                Assert.Equal(content.AsSpan((int)ranges[i].Offset, (int)Math.Min(ranges[i].Length, content.Length - ranges[i].Offset)).ToArray(), read[i]);
            Assert.Equal(content.Length, stream.Position); // untouched by positional reads
        }

        // an altered chunk fails where it is read, not elsewhere; a cut tail fails as soon as it is read, a lost last chunk at once
        var raw = await ReadAllAsync("ranges/sealed");
        var altered = (byte[])raw.Clone();
        altered[^(3 * (chunk + 16))] ^= 1;
        await PutAsync("ranges/sealed", altered);
        await using (var stream = await sealedStore.OpenRandomAccessAsync("ranges/sealed"))
        {
            Assert.Equal(content[..100], await ReadAsync(stream, 0, 100));
            await Assert.ThrowsAsync<IntegrityException>(() => ReadAsync(stream, content.Length - 3 * chunk, 3 * chunk));
        }
        await PutAsync("ranges/sealed", raw[..^100]);
        await using (var stream = await sealedStore.OpenRandomAccessAsync("ranges/sealed"))
            await Assert.ThrowsAsync<IntegrityException>(() => ReadAsync(stream, stream.Length - 10, 10));
        var lastChunk = (content.Length % chunk) + 16;
        await PutAsync("ranges/sealed", raw[..^lastChunk]);
        await Assert.ThrowsAsync<IntegrityException>(async () => await sealedStore.OpenRandomAccessAsync("ranges/sealed"));

        static async Task<byte[]> ReadAsync(Stream stream, long offset, int length)
        {
            var buffer = new byte[length];
            stream.Position = offset;
            await stream.ReadExactlyAsync(buffer);
            return buffer;
        }
    }

    /// <summary>A key ring of its own (SQLite metadata, local keyring) for sealing objects into the store under test.</summary>
    private sealed class SealingKeys : IAsyncDisposable
    {
        private readonly TempDirectory _directory;
        private readonly SqliteMetadataStore _metadata;
        private readonly LocalKeyringVault _vault;

        private SealingKeys(TempDirectory directory, SqliteMetadataStore metadata, LocalKeyringVault vault)
        {
            _directory = directory;
            _metadata = metadata;
            _vault = vault;
            Ring = new KeyRing(metadata, vault, TimeProvider.System);
        }

        public KeyRing Ring { get; }

        public static async Task<SealingKeys> CreateAsync()
        {
            var directory = new TempDirectory("hygie-sealed");
            var metadata = new SqliteMetadataStore(directory.Combine("metadata.db"));
            await MigrationRunner.ApplyAsync(metadata, Hub.Hub.StorageMigrations, TimeProvider.System);
            return new SealingKeys(directory, metadata, LocalKeyringVault.Create(directory.Combine("keyring.json"), null, TimeProvider.System));
        }

        public async ValueTask DisposeAsync()
        {
            _vault.Dispose();
            await _metadata.DisposeAsync();
            _directory.Dispose();
        }
    }
}
