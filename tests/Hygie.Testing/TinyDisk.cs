using System.Diagnostics;

namespace Hygie.Testing;

/// <summary>
/// A real full disk for one test: a tmpfs of a few hundred KiB mounted on a directory, so writes there fail with
/// ENOSPC as on a filled volume. Mounting needs root, which is how scripts/test.sh runs the suite here; without it the
/// test fails and says so (it never skips).
/// </summary>
public sealed class TinyDisk : IDisposable
{
    public TinyDisk(string path, int kibibytes)
    {
        Path = path;
        Directory.CreateDirectory(path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={kibibytes}k,mode=0700", "tmpfs", path);
        if (code != 0)
            throw new InvalidOperationException(
                $"cannot mount a {kibibytes} KiB tmpfs at {path} ({output.Trim()}): the full-disk tests need root, as scripts/test.sh runs them");
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static (int Code, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }
}
