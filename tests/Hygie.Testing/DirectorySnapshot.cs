namespace Hygie.Testing;

/// <summary>Every file below a directory with its size and write time: equal snapshots mean nothing changed on disk.</summary>
public static class DirectorySnapshot
{
    public static string Of(string directory) => string.Join('\n', Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
        .Order(StringComparer.Ordinal).Select(f => $"{f}:{new FileInfo(f).Length}:{File.GetLastWriteTimeUtc(f).Ticks}"));
}
