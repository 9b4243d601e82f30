using System.Net.Http.Headers;
using Hygie.Server;
using Hygie.Server.Modules;
using Microsoft.AspNetCore.Builder;

namespace Hygie.Testing;

/// <summary>The real server on a free loopback port over a test hub, with HTTP clients for it.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(TestHub hub, WebApplication app)
    {
        Hub = hub;
        App = app;
        BaseAddress = new Uri(app.Urls.First());
    }

    public TestHub Hub { get; }
    public WebApplication App { get; }
    public Uri BaseAddress { get; }

    /// <param name="options">server options (e.g. an OIDC provider); the address is always a free loopback port.</param>
    /// <param name="site">where the hub's stores are declared to be (default <see cref="TestHub.QualifiedSite"/>); <paramref name="policy"/> the placement policy (default policy).</param>
    public static async Task<RunningServer> StartAsync(TimeProvider? clock = null, IReadOnlyList<IHubModule>? modules = null, ServerOptions? options = null,
        Storage.Locations.HubSite? site = null, Storage.Locations.PolicyDocument? policy = null)
    {
        modules ??= HubModules.All;
        var hub = await TestHub.CreateAsync(clock, modules.SelectMany(m => m.Migrations).ToList(), site: site, policy: policy);
        var app = HygieServer.Build(hub.Hub, (options ?? new ServerOptions()) with { Urls = "http://127.0.0.1:0" }, modules);
        await app.StartAsync();
        return new RunningServer(hub, app);
    }

    /// <summary>A client with <paramref name="token"/> (none: anonymous).</summary>
    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient Operator() => Client(Hub.OperatorToken);

    public async Task<string> IssueTokenAsync(string subject, params string[] roles) =>
        (await Hub.Hub.Tokens.IssueAsync(subject, roles)).Secret;

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Hub.DisposeAsync();
    }
}
