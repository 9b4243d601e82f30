using System.Buffers;
using Hygie.Core.Errors;
using Hygie.Storage.Sealing;
using Parquet;

namespace Hygie.Analytics;

/// <summary>
/// Where decrypted Parquet waits, for the moment DuckDB loads it: a private directory (0700) on a memory-backed file
/// system (tmpfs), never on disk. Each staged file is removed as soon as its table is loaded.
/// </summary>
public sealed class MemoryStaging : IDisposable
{
    private MemoryStaging(string path) => Path = path;

    public string Path { get; }

    /// <summary>Creates a private directory under <paramref name="root"/>, refusing a root that is not tmpfs.</summary>
    public static MemoryStaging Create(string root = "/dev/shm")
    {
        if (!IsTmpfs(root))
            throw new HubStateException($"{root} is not a memory file system (tmpfs): decrypted data would reach a disk; point the workspace staging at a tmpfs", "staging");
        var path = System.IO.Path.Combine(root, $"hygie-{Guid.NewGuid():N}");
        if (OperatingSystem.IsWindows()) throw new HubStateException("workspaces need a Linux tmpfs to stage decrypted data in memory", "staging");
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new MemoryStaging(path);
    }

    /// <summary>Copies <paramref name="content"/> to a staged file, hands its path to <paramref name="use"/>, then deletes it.</summary>
    public async Task<T> WithFileAsync<T>(Stream content, Func<string, Task<T>> use, CancellationToken ct)
    {
        using var staged = await StageAsync(content, ct);
        return await use(staged.Path);
    }

    private static FileStreamOptions PrivateFile()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    private string NewFile() => System.IO.Path.Combine(Path, $"{Guid.NewGuid():N}.parquet");

    /// <summary>Copies <paramref name="content"/> to a staged file, deleted when the result is disposed.</summary>
    public async Task<StagedFile> StageAsync(Stream content, CancellationToken ct)
    {
        var file = NewFile();
        try
        {
            await using (var output = new FileStream(file, PrivateFile()))
                await content.CopyToAsync(output, 1 << 20, ct); // whole sealed chunks: unsealed straight into the copy buffer
            return new StagedFile(file);
        }
        catch
        {
            File.Delete(file);
            throw;
        }
    }

    /// <summary>
    /// Stages only what a reader of <paramref name="columns"/> needs of the Parquet file <paramref name="content"/> (a
    /// seekable stream): its footer and those columns' chunks (with their indexes and bloom filters), each at its own
    /// offset in a sparse file of the same length, the rest a hole. DuckDB reading those columns finds every byte it
    /// reads; the other columns are never unsealed nor copied.
    /// </summary>
    public async Task<StagedFile> StageColumnsAsync(Stream content, IReadOnlyCollection<string> columns, CancellationToken ct)
    {
        var wanted = new HashSet<string>(columns, StringComparer.OrdinalIgnoreCase);
        var ranges = new List<(long Offset, long Length)> { (0, 4) }; // the leading magic
        var tail = new byte[8];
        content.Position = content.Length - 8;
        await content.ReadExactlyAsync(tail, ct);
        var footer = BitConverter.ToInt32(tail, 0) + 8L;
        ranges.Add((content.Length - footer, footer));
        content.Position = 0;
        await using (var reader = await ParquetReader.CreateAsync(content, null, leaveStreamOpen: true, ct))
            foreach (var chunk in reader.Metadata!.RowGroups.SelectMany(g => g.Columns))
            {
                if (chunk.MetaData is not { } meta || meta.PathInSchema.Count == 0 || !wanted.Contains(meta.PathInSchema[0])) continue;
                var start = new[] { meta.DictionaryPageOffset, meta.IndexPageOffset, meta.DataPageOffset }.Where(o => o > 0).Min()!.Value;
                ranges.Add((start, meta.TotalCompressedSize));
                if (meta.BloomFilterOffset is > 0 && meta.BloomFilterLength is > 0) ranges.Add((meta.BloomFilterOffset.Value, meta.BloomFilterLength.Value));
                if (chunk.ColumnIndexOffset is > 0 && chunk.ColumnIndexLength is > 0) ranges.Add((chunk.ColumnIndexOffset.Value, chunk.ColumnIndexLength.Value));
                if (chunk.OffsetIndexOffset is > 0 && chunk.OffsetIndexLength is > 0) ranges.Add((chunk.OffsetIndexOffset.Value, chunk.OffsetIndexLength.Value));
            }
        var file = NewFile();
        try
        {
            await using var output = new FileStream(file, PrivateFile());
            output.SetLength(content.Length); // a hole: tmpfs gives memory to the bytes written only
            var handle = output.SafeFileHandle;
            var pieces = Pieces(Merged(ranges, content.Length));
            if (content is SealedRandomAccessStream sealedContent)
                // several ranged reads in flight: each is a round trip to the object store (an S3 GET)
                await Parallel.ForEachAsync(pieces, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (piece, token) =>
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(piece.Length);
                    try
                    {
                        if (await sealedContent.ReadAtAsync(piece.Offset, buffer.AsMemory(0, piece.Length), token) != piece.Length) throw new EndOfStreamException();
                        await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, piece.Length), piece.Offset, token);
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                    }
                });
            else
            {
                var buffer = new byte[1 << 20];
                foreach (var (offset, length) in pieces)
                {
                    content.Position = offset;
                    await content.ReadExactlyAsync(buffer.AsMemory(0, length), ct);
                    await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, length), offset, ct);
                }
            }
            return new StagedFile(file);
        }
        catch
        {
            File.Delete(file);
            throw;
        }
    }

    /// <summary>The ranges cut at every MiB of the file: pieces to copy, none longer than a MiB, whose ends fall on
    /// sealed chunk boundaries where they can (a chunk split between two pieces would be fetched twice).</summary>
    private static List<(long Offset, int Length)> Pieces(List<(long Offset, long Length)> ranges)
    {
        const long piece = 1 << 20;
        var pieces = new List<(long, int)>();
        foreach (var (offset, length) in ranges)
            for (var at = offset; at < offset + length;)
            {
                var next = Math.Min(offset + length, (at / piece + 1) * piece);
                pieces.Add((at, (int)(next - at)));
                at = next;
            }
        return pieces;
    }

    /// <summary>The ranges sorted, overlapping or touching ones joined, clipped to the file.</summary>
    private static List<(long Offset, long Length)> Merged(List<(long Offset, long Length)> ranges, long fileLength)
    {
        var merged = new List<(long Offset, long Length)>();
        foreach (var (offset, length) in ranges.Where(r => r.Length > 0 && r.Offset >= 0 && r.Offset < fileLength).OrderBy(r => r.Offset))
        {
            var end = Math.Min(fileLength, offset + length);
            if (merged.Count > 0 && offset <= merged[^1].Offset + merged[^1].Length)
                merged[^1] = (merged[^1].Offset, Math.Max(merged[^1].Length, end - merged[^1].Offset));
            else merged.Add((offset, end - offset));
        }
        return merged;
    }

    /// <summary>A staged file; disposing it deletes it.</summary>
    public sealed class StagedFile(string path) : IDisposable
    {
        public string Path { get; } = path;

        public void Dispose() => File.Delete(Path);
    }

    private static bool IsTmpfs(string root)
    {
        var full = System.IO.Path.GetFullPath(root).TrimEnd('/');
        string? best = null, type = null;
        foreach (var line in File.ReadLines("/proc/mounts"))
        {
            var parts = line.Split(' ');
            if (parts.Length < 3) continue;
            var mount = parts[1].Replace("\\040", " ");
            if ((full == mount || full.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal) || mount == "/") &&
                (best is null || mount.Length > best.Length))
            {
                best = mount;
                type = parts[2];
            }
        }
        return type is "tmpfs" or "ramfs";
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (DirectoryNotFoundException) { }
    }
}
