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
        HubConfig? config;
        try { config = JsonSerializer.Deserialize<HubConfig>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new HubStateException($"{path} is not valid JSON (line {e.LineNumber + 1}): fix or restore it", "hub-config"); }
        if (config is null || config.Format != CurrentFormat)
            throw new HubStateException($"{path} has format '{config?.Format}', which this hygie does not know (expected {CurrentFormat})", "hub-config");
        return config;
    }

    public void Save(string dataDirectory) =>
        File.WriteAllText(Path.Combine(dataDirectory, FileName), JsonSerializer.Serialize(this, Json));
}

/// <summary>One store's provider and settings; secrets are read from the environment variables named here.</summary>
public sealed record StoreConfig
{
    public required string Provider { get; init; }
    public string? Path { get; init; }
    public Dictionary<string, string>? Settings { get; init; }
}
