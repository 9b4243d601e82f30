using Hygie.Core.Errors;
using Hygie.Storage.Keys;
using Hygie.Storage.Metadata;
using Hygie.Storage.Objects;

namespace Hygie.Storage.Hub;

/// <summary>
/// Builds the configured store implementations. Relative paths are inside the data directory; secrets (connection
/// strings with passwords, S3 secret keys, PINs, passphrases) are never in <c>hub.json</c>: a setting ending in
/// <c>Env</c> names the environment variable that holds them.
/// </summary>
public static class StoreFactory
{
    public static IMetadataStore OpenMetadata(string dataDirectory, StoreConfig config) => config.Provider switch
    {
        "sqlite" => new SqliteMetadataStore(Path.Combine(dataDirectory, config.Path ?? "metadata.db")),
        "postgresql" => new PostgresMetadataStore(Secret(config, "connectionStringEnv", "metadata store")),
        _ => throw Unknown("metadata store", config.Provider),
    };

    public static IObjectStore OpenObjects(string dataDirectory, StoreConfig config) => config.Provider switch
    {
        "files" => new FileObjectStore(Path.Combine(dataDirectory, config.Path ?? "objects")),
        "s3" => new S3ObjectStore(new S3ObjectStoreOptions
        {
            Endpoint = Setting(config, "endpoint", "object store"),
            Region = Optional(config, "region") ?? "us-east-1",
            Bucket = Setting(config, "bucket", "object store"),
            KeyPrefix = Optional(config, "prefix"),
            AccessKey = Secret(config, "accessKeyEnv", "object store"),
            SecretKey = Secret(config, "secretKeyEnv", "object store"),
        }),
        _ => throw Unknown("object store", config.Provider),
    };

    public static IKeyVault OpenVault(string dataDirectory, StoreConfig config, string? passphrase) => config.Provider switch
    {
        "local-keyring" => LocalKeyringVault.Open(Path.Combine(dataDirectory, config.Path ?? "keyring.json"), passphrase),
        "pkcs11" => Pkcs11KeyVault.Open(Pkcs11Options(config)),
        _ => throw Unknown("key vault", config.Provider),
    };

    /// <summary>Creates the vault's keys for a new hub (a keyring file, or keys inside the token).</summary>
    public static IKeyVault CreateVault(string dataDirectory, StoreConfig config, string? passphrase, TimeProvider clock) => config.Provider switch
    {
        "local-keyring" => LocalKeyringVault.Create(Path.Combine(dataDirectory, config.Path ?? "keyring.json"), passphrase, clock),
        "pkcs11" => Pkcs11KeyVault.Initialize(Pkcs11Options(config), clock),
        _ => throw Unknown("key vault", config.Provider),
    };

    /// <summary>The token, key label and PIN (read from its environment variable) of a <c>pkcs11</c> vault.</summary>
    public static Pkcs11VaultOptions Pkcs11Options(StoreConfig config) => new()
    {
        LibraryPath = Setting(config, "library", "key vault"),
        TokenLabel = Setting(config, "token", "key vault"),
        KeyLabel = Optional(config, "keyLabel") ?? "hygie",
        Pin = Secret(config, "pinEnv", "key vault"),
    };

    private static string Setting(StoreConfig config, string name, string what) =>
        Optional(config, name) is { Length: > 0 } value
            ? value
            : throw new HubStateException($"the {what} ({config.Provider}) needs the setting '{Kebab(name)}' ({Where(config)})", "hub-config");

    private static string Where(StoreConfig config) => config.Location is { } l ? $"location '{l}'" : HubConfig.FileName;

    /// <summary>
    /// A setting by name. <c>hub.json</c> spells them camelCase (<c>pinEnv</c>), declared locations kebab-case
    /// (<c>pin-env</c>, as <c>hygie locations add --setting</c> takes them): both are the same setting.
    /// </summary>
    public static string? Optional(StoreConfig config, string name)
    {
        if (config.Settings is null) return null;
        if (config.Settings.TryGetValue(name, out var exact)) return exact;
        var wanted = Fold(name);
        foreach (var (key, value) in config.Settings)
            if (Fold(key) == wanted) return value;
        return null;
    }

    private static string Fold(string name) => name.Replace("-", "").Replace("_", "").ToLowerInvariant();

    /// <summary><c>connectionStringEnv</c> → <c>connection-string-env</c>.</summary>
    private static string Kebab(string name) =>
        string.Concat(name.Select((c, i) => char.IsAsciiLetterUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));

    private static string Secret(StoreConfig config, string setting, string what)
    {
        var variable = Setting(config, setting, what);
        return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new HubStateException($"the {what} ({config.Provider}{(config.Location is { } l ? $", location '{l}'" : "")}) reads its secret from the environment variable {variable}, which is not set", "hub-config");
    }

    private static HubStateException Unknown(string what, string provider) =>
        new($"unknown {what} provider '{provider}' in {HubConfig.FileName}", "hub-config");
}
