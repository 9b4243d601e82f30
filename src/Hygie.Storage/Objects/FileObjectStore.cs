using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Hygie.Core.Errors;

namespace Hygie.Storage.Objects;

/// <summary>
/// The embedded object store: one file per object under a root folder. A write goes to a temporary file in the same
/// folder, is flushed to disk, then renamed over the key, so a crash never leaves a partial object visible.
/// </summary>
public sealed class FileObjectStore : IObjectStore, IObjectCopyTarget
{
    private const string TempSuffix = ".partial";

    public FileObjectStore(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }
    public string Provider => "files";
    public string Location => Root;

    public Task<ObjectWriteStream> OpenWriteAsync(string key, CancellationToken ct = default)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}{TempSuffix}";
        return Task.FromResult<ObjectWriteStream>(new FileWrite(temp, path));
    }

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct = default)
    {
        var path = PathOf(key);
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16,
                FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NotFoundException($"object '{key}' does not exist in the object store at {Root}", "object-not-found");
        }
    }

    public async Task<Stream> OpenReadAsync(string key, long offset, long length, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var file = (FileStream)await OpenReadAsync(key, ct);
        file.Position = Math.Min(offset, file.Length);
        return new BoundedStream(file, Math.Min(length, file.Length - file.Position));
    }

    public Task<long> LengthAsync(string key, CancellationToken ct = default)
    {
        var info = new FileInfo(PathOf(key));
        return info.Exists ? Task.FromResult(info.Length) : throw new NotFoundException($"object '{key}' does not exist in the object store at {Root}", "object-not-found");
    }

    public Task<bool> ExistsAsync(string key, CancellationToken ct = default) => Task.FromResult(File.Exists(PathOf(key)));

    public Task DeleteAsync(string key, CancellationToken ct = default)
    {
        File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix = "", [EnumeratorCancellation] CancellationToken ct = default)
    {
        await Task.Yield();
        if (!Directory.Exists(Root)) yield break;
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            if (file.EndsWith(TempSuffix, StringComparison.Ordinal)) continue;
            var key = Path.GetRelativePath(Root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal))
                yield return new StoredObject(key, new FileInfo(file).Length);
        }
    }

    /// <summary>
    /// From another local object store: a kernel-side file copy, flushed to disk and renamed into place like a write;
    /// the directory is flushed too unless <paramref name="deferDurability"/> (then <see cref="MakeDurableAsync"/> does it
    /// once for many objects).
    /// </summary>
    public Task<bool> TryCopyFromAsync(IObjectStore source, string sourceKey, string key, bool deferDurability = false, CancellationToken ct = default)
    {
        if (source is not FileObjectStore files) return Task.FromResult(false);
        var from = files.PathOf(sourceKey);
        if (!File.Exists(from))
            throw new NotFoundException($"object '{sourceKey}' does not exist in the object store at {files.Root}", "object-not-found");
        var final = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        var temp = $"{final}.{Guid.NewGuid():N}{TempSuffix}";
        try
        {
            File.Copy(from, temp);
            using (var written = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) written.Flush(flushToDisk: true);
            File.Move(temp, final, overwrite: true);
            if (!deferDurability) DirectorySync.Flush(Path.GetDirectoryName(final)!);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        return Task.FromResult(true);
    }

    /// <summary>
    /// Whether <paramref name="key"/> here and <paramref name="otherKey"/> in <paramref name="other"/> hold the same
    /// bytes, and the length of the other: read with plain positional reads, which for the many small objects of a
    /// migration cost less than two streams each.
    /// </summary>
    internal (bool Same, long Length) CompareWith(string key, FileObjectStore other, string otherKey)
    {
        using var left = OpenHandle(this, key);
        using var right = OpenHandle(other, otherKey);
        var length = RandomAccess.GetLength(right);
        if (RandomAccess.GetLength(left) != length) return (false, length);
        const int chunk = 1 << 20;
        var buffers = System.Buffers.ArrayPool<byte>.Shared.Rent(2 * chunk);
        try
        {
            for (long offset = 0; offset < length; offset += chunk)
            {
                var n = (int)Math.Min(chunk, length - offset);
                var a = buffers.AsSpan(0, n);
                var b = buffers.AsSpan(chunk, n);
                if (ReadExactly(left, a, offset) != n || ReadExactly(right, b, offset) != n || !a.SequenceEqual(b))
                    return (false, length);
            }
            return (true, length);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffers);
        }

        static Microsoft.Win32.SafeHandles.SafeFileHandle OpenHandle(FileObjectStore store, string k)
        {
            try { return File.OpenHandle(store.PathOf(k), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new NotFoundException($"object '{k}' does not exist in the object store at {store.Root}", "object-not-found");
            }
        }

        static int ReadExactly(Microsoft.Win32.SafeHandles.SafeFileHandle handle, Span<byte> buffer, long offset)
        {
            var total = 0;
            while (total < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer[total..], offset + total);
                if (n == 0) break;
                total += n;
            }
            return total;
        }
    }

    /// <summary>Flushes the directories holding <paramref name="keys"/> (their files' contents were flushed before their rename).</summary>
    public Task MakeDurableAsync(IReadOnlyCollection<string> keys, CancellationToken ct = default)
    {
        foreach (var directory in keys.Select(k => Path.GetDirectoryName(PathOf(k))!).Distinct(StringComparer.Ordinal))
            DirectorySync.Flush(directory);
        return Task.CompletedTask;
    }

    /// <summary>Removes temporary files left by writes that a crash interrupted.</summary>
    public void RemoveAbandonedWrites()
    {
        foreach (var file in Directory.EnumerateFiles(Root, "*" + TempSuffix, SearchOption.AllDirectories))
            File.Delete(file);
    }

    private string PathOf(string key) => Path.Combine(Root, ObjectKey.Check(key).Replace('/', Path.DirectorySeparatorChar));

    private sealed class FileWrite(string temp, string final) : ObjectWriteStream
    {
        private readonly FileStream _file = new(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        private bool _committed;

        public override void Write(byte[] buffer, int offset, int count) => _file.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => _file.Write(buffer);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) => _file.WriteAsync(buffer, offset, count, ct);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) => _file.WriteAsync(buffer, ct);
        public override void Flush() => _file.Flush();

        public override async Task CommitAsync(CancellationToken ct = default)
        {
            await _file.FlushAsync(ct);
            _file.Flush(flushToDisk: true);
            await _file.DisposeAsync();
            File.Move(temp, final, overwrite: true);
            FsyncDirectory(Path.GetDirectoryName(final)!);
            _committed = true;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                // An abandoned write (a full disk, a failed copy) may fail to flush what it buffered: it is discarded anyway.
                try { _file.Dispose(); }
                catch (IOException) when (!_committed) { }
                finally { if (!_committed) File.Delete(temp); }
            }
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            try { await _file.DisposeAsync(); }
            catch (IOException) when (!_committed) { }
            finally { if (!_committed) File.Delete(temp); }
            await base.DisposeAsync();
        }

        /// <summary>Makes the rename itself durable (POSIX: fsync the directory).</summary>
        private static void FsyncDirectory(string directory)
        {
            if (OperatingSystem.IsWindows()) return;
            var fd = Posix.open(directory, Posix.O_RDONLY | Posix.O_DIRECTORY);
            if (fd < 0) return;
            try { Posix.fsync(fd); } finally { Posix.close(fd); }
        }
    }
}

internal static partial class Posix
{
    public const int O_RDONLY = 0;
    public const int O_DIRECTORY = 0x10000;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fsync(int fd);

    [LibraryImport("libc")]
    public static partial int close(int fd);
}
