using System.Security.Cryptography;
using Hygie.Core.Sovereignty;
using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Operations;

/// <summary>
/// How a test opens a location of each kind on a backend. <c>embedded</c> (files, SQLite, local keyring) runs
/// everywhere; production backends (S3, PostgreSQL) are added here as more cases of <see cref="All"/>.
/// </summary>
public static class LocationBackends
{
    public const string Embedded = "embedded";

    public static IEnumerable<object[]> All => [[Embedded]];

    /// <summary>The backend and settings of a new, empty location of <paramref name="kind"/> named <paramref name="name"/>.</summary>
    public static (string Backend, Dictionary<string, string> Settings) For(string backends, string kind, string name, TempDirectory dir) => backends switch
    {
        Embedded => kind switch
        {
            LocationKinds.Metadata => ("sqlite", new() { ["path"] = dir.Combine($"{name}.db") }),
            LocationKinds.Vault => ("local-keyring", new() { ["path"] = dir.Combine($"{name}.keyring.json") }),
            _ => ("files", new() { ["path"] = dir.Combine(name) }),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(backends), backends, "unknown backend set"),
    };
}

/// <summary>A hub on qualified French infrastructure (so the default policy lets it hold data) with sealed objects in it.</summary>
public sealed class OperationsHub : IAsyncDisposable
{
    public static readonly HubSite Qualified = new("OVHcloud", "FR", DeclaredLocation.EuOnly, [Qualifications.Hds, Qualifications.SecNumCloud]);

    private OperationsHub(TempDirectory directory, Hub.Hub hub, string backends)
    {
        Directory = directory;
        Hub = hub;
        Backends = backends;
    }

    public TempDirectory Directory { get; }
    public Hub.Hub Hub { get; private set; }
    public string Backends { get; }
    public string DataDirectory => Hub.DataDirectory;

    /// <summary>Plaintext of each sealed object written by <see cref="SealAsync"/>, by object key.</summary>
    public Dictionary<string, byte[]> Plaintexts { get; } = [];

    public static async Task<OperationsHub> CreateAsync(string backends = LocationBackends.Embedded, HubSite? site = null, PolicyDocument? policy = null, TimeProvider? clock = null)
    {
        var directory = new TempDirectory("hygie-ops");
        var (hub, _) = await Storage.Hub.Hub.InitAsync(directory.Combine("data"),
            new HubOpenOptions { Site = site ?? Qualified, Policy = policy, Passphrase = null, Clock = clock ?? TimeProvider.System });
        return new OperationsHub(directory, hub, backends);
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
        var (backend, settings) = LocationBackends.For(Backends, kind, name, Directory);
        site ??= Qualified;
        return await Hub.Locations.DeclareAsync(new DeclaredLocation(name, kind, site.Provider, backend, site.Country ?? "unknown",
            site.Jurisdiction ?? "unknown", site.Qualifications ?? [], settings, null, default), "test");
    }

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        Directory.Dispose();
    }
}
