namespace Hygie.Storage.Objects;

/// <summary>Makes a rename in a directory durable (POSIX: fsync the directory itself).</summary>
internal static class DirectorySync
{
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Posix.open(directory, Posix.O_RDONLY | Posix.O_DIRECTORY);
        if (fd < 0) return;
        try { Posix.fsync(fd); } finally { Posix.close(fd); }
    }
}
