using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Hygie.Storage.Metadata;

namespace Hygie.Testing;

/// <summary>A freshly initialized embedded hub in its own temporary directory.</summary>
public sealed class TestHub : IAsyncDisposable
{
    private readonly TempDirectory _directory;

    private TestHub(TempDirectory directory, Hub hub, string operatorToken)
    {
        _directory = directory;
        Hub = hub;
        OperatorToken = operatorToken;
    }

    public Hub Hub { get; }
    public string OperatorToken { get; }
    public string DataDirectory => Hub.DataDirectory;

    /// <summary>A French host under EU law only, qualified HDS and SecNumCloud: the default policy lets it hold SNDS and
    /// clinical data, as a production hub must. Tests of placement refusals give their own site.</summary>
    public static readonly HubSite QualifiedSite = new("Test host", "FR", "eu-only", ["HDS", "SecNumCloud"]);

    /// <param name="site">where the hub's stores are declared to be (default: <see cref="QualifiedSite"/>).</param>
    /// <param name="policy">the placement policy (default: <see cref="PolicyDocument.Default"/>).</param>
    public static async Task<TestHub> CreateAsync(TimeProvider? clock = null, IReadOnlyList<Migration>? migrations = null, string? passphrase = null,
        HubSite? site = null, PolicyDocument? policy = null)
    {
        var directory = new TempDirectory("hygie-hub");
        var options = new HubOpenOptions { Clock = clock ?? TimeProvider.System, Passphrase = passphrase, Migrations = migrations ?? [], Site = site ?? QualifiedSite, Policy = policy };
        var (hub, token) = await Hub.InitAsync(directory.Combine("data"), options);
        return new TestHub(directory, hub, token.Secret);
    }

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        _directory.Dispose();
    }
}
