namespace Hygie.Testing;

/// <summary>The shared test data written by others, found at <c>../shared/data</c> from the repository root.</summary>
public static class TestData
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hygie.sln")))
            {
                var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                if (Directory.Exists(shared)) return shared;
                throw new DirectoryNotFoundException($"the shared test data is missing: expected {shared} beside the repository");
            }
        }
        throw new DirectoryNotFoundException("cannot find the repository root (Hygie.sln) above " + AppContext.BaseDirectory);
    }
}
