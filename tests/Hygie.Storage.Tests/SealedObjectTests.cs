using System.Security.Cryptography;
using Hygie.Core.Errors;
using Hygie.Storage.Keys;
using Hygie.Storage.Sealing;
using Hygie.Testing;

namespace Hygie.Storage.Tests;

public sealed class SealedObjectTests : IAsyncLifetime
{
    private const int Chunk = 4096;
    private TestHub _hub = null!;
    private string _keyId = null!;

    public async Task InitializeAsync()
    {
        _hub = await TestHub.CreateAsync();
        _keyId = await _hub.Hub.Keys.CreateAsync("dataset", "ds-test");
    }

    public async Task DisposeAsync() => await _hub.DisposeAsync();

    private async Task<byte[]> SealAsync(string objectId, byte[] plain, int chunk = Chunk)
    {
        var key = await _hub.Hub.Keys.GetAsync(_keyId);
        using var sink = new MemoryStream();
        using (var sealing = new SealingStream(sink, objectId, _keyId, key, chunk))
        {
            sealing.Write(plain);
            sealing.Finish();
        }
        return sink.ToArray();
    }

    private async Task<byte[]> UnsealAsync(string objectId, byte[] sealedBytes)
    {
        using var stream = await UnsealingStream.OpenAsync(new MemoryStream(sealedBytes), objectId, id => _hub.Hub.Keys.GetAsync(id));
        using var output = new MemoryStream();
        await stream.CopyToAsync(output);
        return output.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Chunk - 1)]
    [InlineData(Chunk)]
    [InlineData(Chunk + 1)]
    [InlineData(5 * Chunk + 17)]
    public async Task Round_trips_any_length(int length)
    {
        var plain = RandomNumberGenerator.GetBytes(length);
        var sealedBytes = await SealAsync("objects/a", plain);
        Assert.Equal(plain, await UnsealAsync("objects/a", sealedBytes));
        Assert.False(sealedBytes.AsSpan().IndexOf(plain.AsSpan(0, Math.Min(length, 64))) >= 0 && length >= 16, "plaintext must not appear in the sealed bytes");
    }

    [Fact]
    public async Task A_flipped_bit_is_detected()
    {
        var sealedBytes = await SealAsync("objects/a", RandomNumberGenerator.GetBytes(3 * Chunk));
        sealedBytes[^(Chunk + 100)] ^= 0x01;
        var e = await Assert.ThrowsAsync<IntegrityException>(() => UnsealAsync("objects/a", sealedBytes));
        Assert.Contains("fails authentication", e.Message);
    }

    [Fact]
    public async Task Truncation_at_a_chunk_boundary_is_detected()
    {
        var plain = RandomNumberGenerator.GetBytes(3 * Chunk + 10);
        var sealedBytes = await SealAsync("objects/a", plain);
        var lastChunk = 10 + SealedFormat.TagSize;
        var e = await Assert.ThrowsAsync<IntegrityException>(() => UnsealAsync("objects/a", sealedBytes[..^lastChunk]));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public async Task Truncation_inside_a_chunk_is_detected()
    {
        var sealedBytes = await SealAsync("objects/a", RandomNumberGenerator.GetBytes(3 * Chunk + 10));
        await Assert.ThrowsAsync<IntegrityException>(() => UnsealAsync("objects/a", sealedBytes[..^(Chunk / 2)]));
    }

    [Fact]
    public async Task Swapped_chunks_are_detected()
    {
        var sealedBytes = await SealAsync("objects/a", RandomNumberGenerator.GetBytes(3 * Chunk + 10));
        var size = Chunk + SealedFormat.TagSize;
        var headerLength = sealedBytes.Length - (3 * size + 10 + SealedFormat.TagSize);
        var first = sealedBytes.AsSpan(headerLength, size).ToArray();
        sealedBytes.AsSpan(headerLength + size, size).CopyTo(sealedBytes.AsSpan(headerLength));
        first.CopyTo(sealedBytes.AsSpan(headerLength + size));
        var e = await Assert.ThrowsAsync<IntegrityException>(() => UnsealAsync("objects/a", sealedBytes));
        Assert.Contains("chunk 0", e.Message);
    }

    [Fact]
    public async Task A_chunk_moved_to_the_end_is_detected()
    {
        // Reorder: drop the real last chunk and present a full middle chunk as the last one.
        var sealedBytes = await SealAsync("objects/a", RandomNumberGenerator.GetBytes(3 * Chunk));
        var size = Chunk + SealedFormat.TagSize;
        var withoutLast = sealedBytes[..^SealedFormat.TagSize];
        var reordered = withoutLast.Concat(withoutLast.AsSpan(withoutLast.Length - 2 * size, size).ToArray()[..(size - 1)]).ToArray();
        await Assert.ThrowsAsync<IntegrityException>(() => UnsealAsync("objects/a", reordered));
    }

    [Fact]
    public async Task An_object_presented_under_another_id_is_detected()
    {
        var sealedBytes = await SealAsync("objects/a", RandomNumberGenerator.GetBytes(100));
        var e = await Assert.ThrowsAsync<IntegrityException>(() => UnsealAsync("objects/b", sealedBytes));
        Assert.Contains("objects/b", e.Message);
    }

    [Fact]
    public async Task A_wrong_key_is_detected()
    {
        var sealedBytes = await SealAsync("objects/a", RandomNumberGenerator.GetBytes(100));
        var other = RandomNumberGenerator.GetBytes(32);
        var e = await Assert.ThrowsAsync<IntegrityException>(async () =>
        {
            using var s = await UnsealingStream.OpenAsync(new MemoryStream(sealedBytes), "objects/a", _ => Task.FromResult(other));
        });
        Assert.Contains("wrong key", e.Message);
    }

    [Fact]
    public async Task A_destroyed_key_makes_the_object_unreadable()
    {
        var info = await _hub.Hub.Sealed.WriteAsync("objects/shredded", _keyId, (s, ct) => s.WriteAsync(new byte[1000], ct).AsTask());
        Assert.Equal(1000, info.PlaintextLength);
        await _hub.Hub.Keys.DestroyAsync(_keyId, "test");
        // A fresh key ring (no cache) is what a restarted hub has.
        var fresh = new KeyRing(_hub.Hub.Metadata, _hub.Hub.Vault, TimeProvider.System);
        var sealedStore = new SealedObjectStore(_hub.Hub.Objects, fresh);
        await Assert.ThrowsAsync<KeyDestroyedException>(() => sealedStore.OpenReadAsync("objects/shredded"));
    }

    [Fact]
    public async Task The_store_seals_streams_and_verifies_the_digest()
    {
        var plain = RandomNumberGenerator.GetBytes(3_000_000);
        var info = await _hub.Hub.Sealed.WriteAsync("datasets/x/part-0", _keyId, (s, ct) => s.WriteAsync(plain, ct).AsTask());
        Assert.Equal(info.SealDigest, await _hub.Hub.Sealed.VerifyAsync("datasets/x/part-0"));
        using var read = await _hub.Hub.Sealed.OpenReadAsync("datasets/x/part-0");
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(plain, copy.ToArray());
        var onDisk = await File.ReadAllBytesAsync(Path.Combine(_hub.DataDirectory, "objects", "datasets", "x", "part-0"));
        Assert.True(onDisk.AsSpan().IndexOf(plain.AsSpan(0, 32)) < 0);
    }

    [Fact]
    public async Task A_failed_write_leaves_no_object()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => _hub.Hub.Sealed.WriteAsync("datasets/x/failed", _keyId, async (s, ct) =>
        {
            await s.WriteAsync(new byte[10_000], ct);
            throw new InvalidOperationException("producer failed");
        }));
        Assert.False(await _hub.Hub.Objects.ExistsAsync("datasets/x/failed"));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_hub.DataDirectory, "objects"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task An_open_sealed_writer_shows_nothing_until_committed_and_nothing_when_abandoned()
    {
        var store = _hub.Hub.Sealed;
        var plain = RandomNumberGenerator.GetBytes(3 * Chunk + 17);
        await using (var abandoned = await store.OpenWriteAsync("datasets/ds-test/abandoned.bin", _keyId, Chunk))
            await abandoned.Stream.WriteAsync(plain);
        Assert.False(await _hub.Hub.Objects.ExistsAsync("datasets/ds-test/abandoned.bin"));

        // two writers at once, as a deposit fills one object per table
        await using var a = await store.OpenWriteAsync("datasets/ds-test/a.bin", _keyId, Chunk);
        await using var b = await store.OpenWriteAsync("datasets/ds-test/b.bin", _keyId, Chunk);
        await a.Stream.WriteAsync(plain);
        await b.Stream.WriteAsync(plain.AsMemory(0, 100));
        Assert.False(await _hub.Hub.Objects.ExistsAsync("datasets/ds-test/a.bin"));
        var info = await a.CommitAsync();
        await b.CommitAsync();
        Assert.Equal(plain.Length, info.PlaintextLength);
        Assert.Equal(info.SealDigest, await store.VerifyAsync("datasets/ds-test/a.bin"));
        await using var read = await store.OpenReadAsync("datasets/ds-test/a.bin");
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(plain, copy.ToArray());
        Assert.Empty(Directory.GetFiles(_hub.DataDirectory, "*.partial", SearchOption.AllDirectories));
    }
}
