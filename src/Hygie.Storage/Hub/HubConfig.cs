using System.Text.Json;
using System.Text.Json.Serialization;
using Hygie.Core.Errors;

namespace Hygie.Storage.Hub;

/// <summary>
/// <c>hub.json</c> in the data directory: the hub's identity and where its stores live. Holds no secret: passwords,
/// PINs and passphrases come from the environment.
/// </summary>
public sealed record HubConfig
{
    public const string FileName = "hub.json";
    public const string CurrentFormat = "hygie-hub/1";

    public string Format { get; init; } = CurrentFormat;
    public required string HubId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public StoreConfig Metadata { get; init; } = new() { Provider = "sqlite", Path = "metadata.db" };
    public StoreConfig Objects { get; init; } = new() { Provider = "files", Path = "objects" };
    public StoreConfig Vault { get; init; } = new() { Provider = "local-keyring", Path = "keyring.json" };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static HubConfig Load(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (!Directory.Exists(dataDirectory))
            throw new HubStateException($"no hub at {Path.GetFullPath(dataDirectory)}: the directory does not exist (run 'hygie init --data {dataDirectory}' or fix --data)", "no-hub");
        if (!File.Exists(path))
            throw new HubStateException($"no hub at {Path.GetFullPath(dataDirectory)}: {FileName} is missing (run 'hygie init --data {dataDirectory}' or fix --data)", "no-hub");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Replaces <c>hub.json</c> atomically: a crash leaves either the old file or the new one, never a mix.</summary>
    public void Save(string dataDirectory) => WriteDurably(Path.Combine(dataDirectory, FileName), ToJson());

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static HubConfig Parse(string json, string source)
    {
        HubConfig? config;
        try { config = JsonSerializer.Deserialize<HubConfig>(json, Json); }
        catch (JsonException e) { throw new HubStateException($"{source} is not valid JSON (line {e.LineNumber + 1}): fix or restore it", "hub-config"); }
        if (config is null || config.Format != CurrentFormat)
            throw new HubStateException($"{source} has format '{config?.Format}', which this hygie does not know (expected {CurrentFormat})", "hub-config");
        return config;
    }

    /// <summary>Writes a temporary file, flushes it to disk, renames it over <paramref name="path"/> and flushes the directory.</summary>
    internal static void WriteDurably(string path, string text)
    {
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        Hygie.Storage.Objects.DirectorySync.Flush(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}

/// <summary>One store's provider and settings; secrets are read from the environment variables named here.</summary>
public sealed record StoreConfig
{
    public required string Provider { get; init; }
    public string? Path { get; init; }
    public Dictionary<string, string>? Settings { get; init; }

    /// <summary>The declared location this store is (<c>local-*</c> when absent).</summary>
    public string? Location { get; init; }
}
