using Hygie.Core.Errors;

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

    /// <summary>Copies <paramref name="content"/> to a staged file, deleted when the result is disposed.</summary>
    public async Task<StagedFile> StageAsync(Stream content, CancellationToken ct)
    {
        var file = System.IO.Path.Combine(Path, $"{Guid.NewGuid():N}.parquet");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 0 };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var output = new FileStream(file, options))
                await content.CopyToAsync(output, 1 << 20, ct); // whole sealed chunks: unsealed straight into the copy buffer
            return new StagedFile(file);
        }
        catch
        {
            File.Delete(file);
            throw;
        }
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
