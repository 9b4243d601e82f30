using System.Security.Cryptography;
using Hygie.Core.Sovereignty;
using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Hygie.Storage.Objects;
using Hygie.Storage.Operations.Backup;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Operations;

/// <summary>
/// Which parts a test's hub runs on and which parts its target locations are:
/// <list type="bullet">
/// <item><c>embedded</c>: files, SQLite, local keyring, for the hub and its targets;</item>
/// <item><c>production</c>: the hub on PostgreSQL, S3 and a PKCS#11 token; targets another database, another S3
/// prefix, keys in the second token;</item>
/// <item><c>embedded-to-production</c>: an embedded hub whose targets are production parts (the national platform's
/// move from one machine to a qualified host).</item>
/// </list>
/// </summary>
public static class LocationBackends
{
    public const string Embedded = "embedded";
    public const string Production = "production";
    public const string EmbeddedToProduction = "embedded-to-production";

    /// <summary>Every backend set, for the cases that matter on each (backup, restore, tampering, refusals).</summary>
    public static IEnumerable<object[]> All => [[Embedded], [Production]];

    /// <summary>The backend sets a migration runs on, the cross-backend move included.</summary>
    public static IEnumerable<object[]> Migrations => [[Embedded], [Production], [EmbeddedToProduction]];

    public static bool HubOnProduction(string backends) => backends == Production;
    public static bool TargetsOnProduction(string backends) => backends is Production or EmbeddedToProduction;

    /// <summary>The backend and settings of a new, empty location of <paramref name="kind"/> named <paramref name="name"/>.</summary>
    public static async Task<(string Backend, Dictionary<string, string> Settings)> ForAsync(string backends, string kind, string name, TempDirectory dir, string run)
    {
        if (!TargetsOnProduction(backends))
            return kind switch
            {
                LocationKinds.Metadata => ("sqlite", new() { ["path"] = dir.Combine($"{name}.db") }),
                LocationKinds.Vault => ("local-keyring", new() { ["path"] = dir.Combine($"{name}.keyring.json") }),
                _ => ("files", new() { ["path"] = dir.Combine(name) }),
            };
        return kind switch
        {
            LocationKinds.Metadata => ("postgresql", ProductionParts.PostgresSettings(await ProductionParts.NewDatabaseAsync($"{run}{name.Replace("-", "")}"))),
            // A hub on the first token moves to the second one.
            LocationKinds.Vault => ("pkcs11", ProductionParts.Pkcs11Settings($"{name}-{run}", secondToken: true)),
            _ => ("s3", ProductionParts.S3Settings($"{name}-{run}")),
        };
    }
}

/// <summary>A hub on qualified French infrastructure (so the default policy lets it hold data) with sealed objects in it.</summary>
public sealed class OperationsHub : IAsyncDisposable
{
    public static readonly HubSite Qualified = new("OVHcloud", "FR", DeclaredLocation.EuOnly, [Qualifications.Hds, Qualifications.SecNumCloud]);

    private OperationsHub(TempDirectory directory, Hub.Hub hub, string backends, string run)
    {
        Directory = directory;
        Hub = hub;
        Backends = backends;
        Run = run;
    }

    /// <summary>Unique per hub: names its database, S3 prefixes and key labels.</summary>
    public string Run { get; }

    public TempDirectory Directory { get; }
    public Hub.Hub Hub { get; private set; }
    public string Backends { get; }
    public string DataDirectory => Hub.DataDirectory;

    /// <summary>Plaintext of each sealed object written by <see cref="SealAsync"/>, by object key.</summary>
    public Dictionary<string, byte[]> Plaintexts { get; } = [];

    public static async Task<OperationsHub> CreateAsync(string backends = LocationBackends.Embedded, HubSite? site = null, PolicyDocument? policy = null, TimeProvider? clock = null)
    {
        var directory = new TempDirectory("hygie-ops");
        var run = ProductionParts.NewRun();
        var stores = LocationBackends.HubOnProduction(backends) ? await ProductionParts.HubStoresAsync(run) : null;
        var (hub, _) = await Storage.Hub.Hub.InitAsync(directory.Combine("data"),
            new HubOpenOptions { Site = site ?? Qualified, Policy = policy, Passphrase = null, Clock = clock ?? TimeProvider.System, Stores = stores });
        return new OperationsHub(directory, hub, backends, run);
    }

    public HubOpenOptions OpenOptions => new() { Passphrase = null, Clock = Hub.Clock };

    /// <summary>Closes and opens the hub again (as the next command would), e.g. after a simulated crash.</summary>
    public async Task ReopenAsync()
    {
        await Hub.DisposeAsync();
        Hub = await Storage.Hub.Hub.OpenAsync(DataDirectory, OpenOptions);
    }

    /// <summary>Seals <paramref name="count"/> objects of random content (sizes vary around <paramref name="size"/>) under one dataset key.</summary>
    public async Task<IReadOnlyList<string>> SealAsync(int count, int size = 3000, string dataset = "ds1")
    {
        var keyId = await Hub.Keys.GetOrCreateIdAsync("dataset", dataset);
        var keys = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var key = $"datasets/{dataset}/part-{Plaintexts.Count:d5}.parquet";
            var plain = RandomNumberGenerator.GetBytes(size + RandomNumberGenerator.GetInt32(size));
            await Hub.Sealed.WriteAsync(key, keyId, (s, ct) => s.WriteAsync(plain, ct).AsTask());
            Plaintexts[key] = plain;
            keys.Add(key);
        }
        return keys;
    }

    /// <summary>Unseals every object written so far and compares it with its plaintext.</summary>
    public async Task AssertDataReadableAsync(Hub.Hub? hub = null)
    {
        hub ??= Hub;
        foreach (var (key, plain) in Plaintexts)
        {
            await using var stream = await hub.Sealed.OpenReadAsync(key);
            using var memory = new MemoryStream();
            await stream.CopyToAsync(memory);
            Assert.True(plain.AsSpan().SequenceEqual(memory.ToArray()), $"object {key} does not read back as written");
        }
    }

    /// <summary>Declares a location of <paramref name="kind"/>, qualified for everything unless <paramref name="site"/> says otherwise.</summary>
    public async Task<DeclaredLocation> DeclareAsync(string name, string kind, HubSite? site = null)
    {
        var (backend, settings) = await LocationBackends.ForAsync(Backends, kind, name, Directory, Run);
        site ??= Qualified;
        return await Hub.Locations.DeclareAsync(new DeclaredLocation(name, kind, site.Provider, backend, site.Country ?? "unknown",
            site.Jurisdiction ?? "unknown", site.Qualifications ?? [], settings, null, default), "test");
    }

    /// <summary>The vault a restore of this hub's backups needs: its keyring file, or its token.</summary>
    public StoreConfig RestoreVault => Hub.Config.Vault.Provider == "local-keyring"
        ? RestoreRequest.Keyring(Path.Combine(DataDirectory, Hub.Config.Vault.Path ?? "keyring.json"))
        : Hub.Config.Vault;

    /// <summary>Where a restore of this hub goes: embedded stores in the new data directory, or a new database and S3 prefix.</summary>
    public async Task<StoreChoice?> RestoreStoresAsync(string name)
    {
        if (!LocationBackends.HubOnProduction(Backends)) return null;
        var run = $"{Run}{name.Replace("-", "")}";
        return new StoreChoice(
            new StoreConfig { Provider = "postgresql", Settings = ProductionParts.PostgresSettings(await ProductionParts.NewDatabaseAsync(run)) },
            new StoreConfig { Provider = "s3", Settings = ProductionParts.S3Settings($"restored-{run}") });
    }

    /// <summary>The object store of a declared location, opened as the hub would.</summary>
    public async Task<IObjectStore> ObjectsAtAsync(string location) =>
        StoreFactory.OpenObjects(DataDirectory, (await Hub.Locations.GetAsync(location)).ToStoreConfig());

    /// <summary>Flips one byte in the middle of an object as stored, through the store's own API (files or S3).</summary>
    public static async Task TamperAsync(IObjectStore store, string key)
    {
        byte[] bytes;
        await using (var read = await store.OpenReadAsync(key)) { using var m = new MemoryStream(); await read.CopyToAsync(m); bytes = m.ToArray(); }
        bytes[bytes.Length / 2] ^= 0x01;
        await using var write = await store.OpenWriteAsync(key);
        await write.WriteAsync(bytes);
        await write.CommitAsync();
    }

    /// <summary>Asserts that nothing was written at <paramref name="location"/> (a directory not even created; an S3 prefix empty).</summary>
    public async Task AssertNothingAtAsync(DeclaredLocation location)
    {
        if (location.Path is { } path)
        {
            Assert.False(System.IO.Directory.Exists(path) || File.Exists(path), $"location '{location.Name}' was written to ({path})");
            return;
        }
        if (location.Kind is LocationKinds.Objects or LocationKinds.Backup)
            await foreach (var o in StoreFactory.OpenObjects(DataDirectory, location.ToStoreConfig()).ListAsync())
                Assert.Fail($"location '{location.Name}' holds {o.Key}");
    }

    public async ValueTask DisposeAsync()
    {
        // The keys this hub and its vault locations put in the run's tokens go with it.
        var vaults = new List<StoreConfig> { Hub.Config.Vault };
        try { vaults.AddRange((await Hub.Locations.ListAsync()).Where(l => l.Kind == LocationKinds.Vault).Select(l => l.ToStoreConfig())); }
        catch (Core.Errors.HygieException) { }
        await Hub.DisposeAsync();
        ProductionParts.DestroyTokenKeys(vaults);
        Directory.Dispose();
    }
}
