namespace Hygie.Ingest.Tests;

/// <summary>The shared test data, found by walking up from the test assembly to the folder that holds <c>shared/data</c>
/// beside the repository root.</summary>
public static class TestData
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Schemas => PathOf("snds-schemas");
    public static string Synthetic => PathOf("snds-synthetic");

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var shared = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(shared) && Directory.Exists(Path.Combine(shared, "snds-schemas"))) return shared;
        }
        throw new DirectoryNotFoundException("cannot find shared/data above " + AppContext.BaseDirectory + " (expected beside the repository root)");
    }
}
