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
            Region = config.Settings?.GetValueOrDefault("region") ?? "us-east-1",
            Bucket = Setting(config, "bucket", "object store"),
            KeyPrefix = config.Settings?.GetValueOrDefault("prefix"),
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

    private static Pkcs11VaultOptions Pkcs11Options(StoreConfig config) => new()
    {
        LibraryPath = Setting(config, "library", "key vault"),
        TokenLabel = Setting(config, "token", "key vault"),
        KeyLabel = config.Settings?.GetValueOrDefault("keyLabel") ?? "hygie",
        Pin = Secret(config, "pinEnv", "key vault"),
    };

    private static string Setting(StoreConfig config, string name, string what) =>
        config.Settings?.GetValueOrDefault(name) is { Length: > 0 } value
            ? value
            : throw new HubStateException($"the {what} ({config.Provider}) needs the setting '{name}' in {HubConfig.FileName}", "hub-config");

    private static string Secret(StoreConfig config, string setting, string what)
    {
        var variable = Setting(config, setting, what);
        return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new HubStateException($"the {what} ({config.Provider}) reads its secret from the environment variable {variable}, which is not set", "hub-config");
    }

    private static HubStateException Unknown(string what, string provider) =>
        new($"unknown {what} provider '{provider}' in {HubConfig.FileName}", "hub-config");
}
