using Hygie.Core.Errors;
using Hygie.Storage.Keys;
using Hygie.Storage.Metadata;
using Hygie.Storage.Objects;

namespace Hygie.Storage.Hub;

/// <summary>Builds the configured store implementations; relative paths are inside the data directory.</summary>
public static class StoreFactory
{
    public static IMetadataStore OpenMetadata(string dataDirectory, StoreConfig config) => config.Provider switch
    {
        "sqlite" => new SqliteMetadataStore(Path.Combine(dataDirectory, config.Path ?? "metadata.db")),
        _ => throw Unknown("metadata store", config.Provider),
    };

    public static IObjectStore OpenObjects(string dataDirectory, StoreConfig config) => config.Provider switch
    {
        "files" => new FileObjectStore(Path.Combine(dataDirectory, config.Path ?? "objects")),
        _ => throw Unknown("object store", config.Provider),
    };

    public static IKeyVault OpenVault(string dataDirectory, StoreConfig config, string? passphrase) => config.Provider switch
    {
        "local-keyring" => LocalKeyringVault.Open(Path.Combine(dataDirectory, config.Path ?? "keyring.json"), passphrase),
        _ => throw Unknown("key vault", config.Provider),
    };

    private static HubStateException Unknown(string what, string provider) =>
        new($"unknown {what} provider '{provider}' in {HubConfig.FileName}", "hub-config");
}
