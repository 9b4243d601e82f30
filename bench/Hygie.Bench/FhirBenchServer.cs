using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hygie.Fhir;
using Hygie.Server;
using Hygie.Server.Fhir;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Hygie.Storage.Locations;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hygie.Bench;

/// <summary>
/// A hub in a temporary directory, declared on a site that may hold clinical data (HDS, in France), served on loopback
/// with the governance and FHIR modules. Tenants are created and their application tokens issued as the operator does
/// (<c>hygie tenants add</c>, <c>hygie tokens create --tenant T --scope 'user/*.*'</c>), through the API.
/// </summary>
internal sealed class FhirBenchServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly Hub _hub;
    private readonly WebApplication _app;
    private readonly string _operatorToken;
    private readonly Dictionary<string, string> _tokens = [];

    private FhirBenchServer(string dir, Hub hub, WebApplication app, string operatorToken)
    {
        _dir = dir;
        _hub = hub;
        _app = app;
        _operatorToken = operatorToken;
    }

    public static async Task<FhirBenchServer> StartAsync(FhirOptions options)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"hygie-bench-fhir-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        IHubModule[] modules = [new GovernanceModule(), new FhirModule(options)];
        var (hub, token) = await Hub.InitAsync(Path.Combine(dir, "hub"), new HubOpenOptions
        {
            Migrations = [.. modules.SelectMany(m => m.Migrations)],
            Site = new HubSite("Bench host", "FR", "eu-only", ["HDS"]),
        });
        var app = HygieServer.Build(hub, new ServerOptions { Urls = "http://127.0.0.1:0" }, modules,
            b => b.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        return new FhirBenchServer(dir, hub, app, token.Secret);
    }

    public FhirStore Store => _app.Services.GetRequiredService<FhirStore>();
    public string Url => _app.Urls.First();

    public async Task<string> TenantAsync(string name)
    {
        using var op = new HttpClient { BaseAddress = new Uri(Url) };
        op.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _operatorToken);
        (await op.PostAsJsonAsync("/api/fhir/tenants", new { name, nameSearch = true })).EnsureSuccessStatusCode();
        var issued = await op.PostAsJsonAsync("/api/tokens", new { tenant = name, scopes = new[] { "user/*.*" }, app = "bench" });
        issued.EnsureSuccessStatusCode();
        _tokens[name] = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        return name;
    }

    /// <summary>An HTTP client on the tenant's FHIR base with its token, asking for minimal answers.</summary>
    public HttpClient Client(string tenant)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { BaseAddress = new Uri($"{Url}/fhir/{tenant}/"), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _tokens[tenant]);
        http.DefaultRequestHeaders.Add("Prefer", "return=minimal");
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _hub.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
