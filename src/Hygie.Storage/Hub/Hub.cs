using Hygie.Core.Errors;
using Hygie.Storage.Audit;
using Hygie.Storage.Identity;
using Hygie.Storage.Keys;
using Hygie.Storage.Locations;
using Hygie.Storage.Metadata;
using Hygie.Storage.Objects;
using Hygie.Storage.Operations;
using Hygie.Storage.Operations.Relocation;
using Hygie.Storage.Sealing;

namespace Hygie.Storage.Hub;

/// <summary>An open hub: its stores, vault, key ring, sealed objects, audit log and tokens.</summary>
public sealed class Hub : IAsyncDisposable
{
    /// <summary>The storage layer's own schema; modules add theirs when opening the hub.</summary>
    public static readonly IReadOnlyList<Migration> StorageMigrations = [KeyRing.Schema, AuditLog.Schema, AuditLog.CountrySchema, AccessTokenStore.Schema, LocationRegistry.Schema, OperationsSchema.Schema];

    private Hub(string dataDirectory, HubConfig config, IMetadataStore metadata, IObjectStore objects, IKeyVault vault, TimeProvider clock)
    {
        DataDirectory = dataDirectory;
        Config = config;
        Metadata = metadata;
        Objects = objects;
        Vault = vault;
        Clock = clock;
        Keys = new KeyRing(metadata, vault, clock);
        Sealed = new SealedObjectStore(objects, Keys);
        Audit = new AuditLog(metadata, vault, clock, config.HubId);
        Tokens = new AccessTokenStore(metadata, clock);
        Locations = new LocationRegistry(metadata, config, Audit, clock);
        Placement = new Placement(Locations, clock);
    }

    public string DataDirectory { get; }
    public HubConfig Config { get; }
    public string HubId => Config.HubId;
    public IMetadataStore Metadata { get; }
    public IObjectStore Objects { get; }
    public IKeyVault Vault { get; }
    public TimeProvider Clock { get; }
    public KeyRing Keys { get; }
    public SealedObjectStore Sealed { get; }
    public AuditLog Audit { get; }
    public AccessTokenStore Tokens { get; }

    /// <summary>The declared locations (the hub's own stores among them) and the placement policy.</summary>
    public LocationRegistry Locations { get; }

    /// <summary>Asks the placement policy before a write: deposit, backup and migration call it.</summary>
    public Placement Placement { get; }

    /// <summary>Opens the hub in <paramref name="dataDirectory"/> and brings its schema up to date; refuses a newer one.</summary>
    public static async Task<Hub> OpenAsync(string dataDirectory, HubOpenOptions options, CancellationToken ct = default)
    {
        dataDirectory = Path.GetFullPath(dataDirectory);
        var completedSwitch = Directory.Exists(dataDirectory) ? await SwitchJournal.RecoverAsync(dataDirectory, ct) : null;
        var config = HubConfig.Load(dataDirectory);
        var vault = AtStore(config.Vault, LocationKinds.Vault, () => StoreFactory.OpenVault(dataDirectory, config.Vault, options.Passphrase));
        IMetadataStore? metadata = null;
        try
        {
            metadata = StoreFactory.OpenMetadata(dataDirectory, config.Metadata);
            var objects = StoreFactory.OpenObjects(dataDirectory, config.Objects);
            var store = metadata;
            await AtStore(config.Metadata, LocationKinds.Metadata, async () =>
            {
                await MigrationRunner.ApplyAsync(store, [.. StorageMigrations, .. options.Migrations], options.Clock, ct);
                return 0;
            });
            var hub = new Hub(dataDirectory, config, metadata, objects, vault, options.Clock);
            try
            {
                await hub.Locations.EnsureHubStoresAsync(ct);
                if (completedSwitch is not null)
                    await hub.Audit.AppendAsync(new Core.Audit.AuditEntry("system", "hub.migrate.switched", completedSwitch,
                        Details: new Dictionary<string, string> { ["completedAtOpen"] = "true", ["rootKey"] = vault.RootKeyId }), ct);
            }
            catch
            {
                await hub.DisposeAsync();
                throw;
            }
            return hub;
        }
        catch
        {
            vault.Dispose();
            if (metadata is not null) await metadata.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A production store's own diagnosis (a wrong PIN, refused credentials, an unreachable server) said about the
    /// hub's location that failed; the embedded stores' messages name their files already.
    /// </summary>
    private static T AtStore<T>(StoreConfig store, string kind, Func<T> open)
    {
        try
        {
            return open();
        }
        catch (HubStateException e) when (store.Provider is not ("sqlite" or "files" or "local-keyring"))
        {
            throw Named(store, kind, e);
        }
    }

    private static async Task<T> AtStore<T>(StoreConfig store, string kind, Func<Task<T>> open)
    {
        try
        {
            return await open();
        }
        catch (HubStateException e) when (store.Provider is not ("sqlite" or "files" or "local-keyring"))
        {
            throw Named(store, kind, e);
        }
    }

    private static HubStateException Named(StoreConfig store, string kind, HubStateException e) =>
        new($"location '{store.Location ?? DeclaredLocation.LocalName(kind)}' (the hub's {(kind == LocationKinds.Vault ? "key vault" : kind + " store")}): {e.Message}", e.Code, e);

    /// <summary>
    /// Creates a new hub in <paramref name="dataDirectory"/> (which must not exist or be empty) and issues the operator
    /// token, returned once. Everything is prepared in a sibling temporary directory and moved into place at the end,
    /// so a failed init leaves nothing behind.
    /// </summary>
    public static async Task<(Hub Hub, IssuedToken OperatorToken)> InitAsync(string dataDirectory, HubOpenOptions options, CancellationToken ct = default)
    {
        dataDirectory = Path.GetFullPath(dataDirectory);
        if (File.Exists(dataDirectory))
            throw new HubStateException($"{dataDirectory} is a file, not a directory: choose another --data", "bad-data-dir");
        if (Directory.Exists(dataDirectory) && Directory.EnumerateFileSystemEntries(dataDirectory).Any())
            throw new HubStateException(File.Exists(Path.Combine(dataDirectory, HubConfig.FileName))
                ? $"a hub already exists at {dataDirectory}"
                : $"{dataDirectory} is not empty: hygie init needs a new or empty directory", "hub-exists");
        var parent = Path.GetDirectoryName(dataDirectory)!;
        if (!Directory.Exists(parent))
            throw new HubStateException($"the parent directory {parent} does not exist: create it first or choose another --data", "bad-data-dir");

        var staging = Path.Combine(parent, $".{Path.GetFileName(dataDirectory)}.init-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(staging, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var config = new HubConfig { HubId = $"hub-{Guid.NewGuid():N}"[..16], CreatedAt = options.Clock.GetUtcNow() };
            if (options.Stores is { } stores)
                config = config with { Metadata = stores.Metadata ?? config.Metadata, Objects = stores.Objects ?? config.Objects, Vault = stores.Vault ?? config.Vault };
            config.Save(staging);
            await RefuseExistingHubAsync(staging, config, ct);
            StoreFactory.CreateVault(staging, config.Vault, options.Passphrase, options.Clock).Dispose();
            IssuedToken token;
            await using (var hub = await OpenAsync(staging, options, ct))
            {
                token = await hub.Tokens.IssueAsync("operator", [Core.Identity.Roles.Operator], description: "created at init", ct: ct);
                await hub.Locations.DeclareHubStoresAsync(options.Site, ct);
                await hub.Locations.SetPolicyAsync(options.Policy ?? PolicyDocument.Default, actor: null, ct);
                var policy = options.Policy ?? PolicyDocument.Default;
                await hub.Audit.AppendAsync(new Core.Audit.AuditEntry("system", "hub.init", config.HubId,
                    Details: new Dictionary<string, string>
                    {
                        ["operatorToken"] = token.Token.Id, ["policy"] = policy.Name, ["developmentPolicy"] = policy.Development.ToString().ToLowerInvariant(),
                    }), ct);
                await hub.Audit.CheckpointAsync(ct);
            }
            if (Directory.Exists(dataDirectory)) Directory.Delete(dataDirectory);
            Directory.Move(staging, dataDirectory);
            return (await OpenAsync(dataDirectory, options, ct), token);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>A shared metadata store (PostgreSQL) may already hold a hub: init must not add a second operator to it.</summary>
    private static async Task RefuseExistingHubAsync(string dataDirectory, HubConfig config, CancellationToken ct)
    {
        await using var metadata = StoreFactory.OpenMetadata(dataDirectory, config.Metadata);
        await using var connection = await metadata.OpenConnectionAsync(ct);
        try
        {
            if ((await MigrationRunner.ReadVersionsAsync(connection, ct)).Count > 0)
                throw new HubStateException($"the metadata store at {metadata.Location} already holds a hub: init needs an empty store", "hub-exists");
        }
        catch (System.Data.Common.DbException)
        {
            // No schema_versions table: an empty store, as init wants.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Audit.DisposeAsync();
        await Metadata.DisposeAsync();
        Vault.Dispose();
    }
}

public sealed record HubOpenOptions
{
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    public string? Passphrase { get; init; } = Environment.GetEnvironmentVariable(LocalKeyringVault.PassphraseVariable);
    public IReadOnlyList<Migration> Migrations { get; init; } = [];

    /// <summary>At init: where the stores live (null parts keep the embedded defaults).</summary>
    public StoreChoice? Stores { get; init; }

    /// <summary>At init: where the hub's own stores are (provider, country, jurisdiction, qualifications); default unknown.</summary>
    public HubSite? Site { get; init; }

    /// <summary>At init: the placement policy (default <see cref="PolicyDocument.Default"/>; the demo hub uses <see cref="PolicyDocument.DevelopmentPolicy"/>).</summary>
    public PolicyDocument? Policy { get; init; }
}

/// <summary>The stores chosen at init, e.g. PostgreSQL, S3 and a PKCS#11 token for production.</summary>
public sealed record StoreChoice(StoreConfig? Metadata = null, StoreConfig? Objects = null, StoreConfig? Vault = null);
