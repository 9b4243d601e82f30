using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Rest;
using Hygie.Core.Identity;
using Hygie.Fhir;
using Hygie.Governance;
using Hygie.Governance.Users;
using Hygie.Server;
using Hygie.Server.Fhir;
using Hygie.Server.Modules;
using Hygie.Storage.Locations;
using Hygie.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Fhir.Tests;

/// <summary>
/// The real server (Kestrel on loopback) with the FHIR and governance modules, and the clients the tests drive it
/// with. Its hub declares a site that may hold clinical data (HDS, in France) unless a test says otherwise; tenant
/// tokens are issued as the operator issues them (<c>hygie tokens create --tenant</c>).
/// </summary>
public sealed class FhirServer : IAsyncDisposable
{
    /// <summary>Where the test hub says it runs: what the default placement policy asks of a store of clinical data.</summary>
    public static readonly HubSite QualifiedSite = new("Test host", "FR", "eu-only", ["HDS"]);

    private FhirServer(RunningServer server) => Server = server;

    public RunningServer Server { get; }
    public FhirStore Store => Server.App.Services.GetRequiredService<FhirStore>();
    public Uri BaseAddress => Server.BaseAddress;

    /// <param name="site">the hub's site (default <see cref="QualifiedSite"/>).</param>
    public static async Task<FhirServer> StartAsync(FhirOptions? options = null, TimeProvider? clock = null, ServerOptions? server = null,
        HubSite? site = null, PolicyDocument? policy = null) =>
        new(await RunningServer.StartAsync(clock, [new GovernanceModule(), new FhirModule(options ?? new FhirOptions())], server, site ?? QualifiedSite, policy));

    public async Task<string> TenantAsync(string? name = null, bool nameSearch = false) =>
        (await Store.Tenants.CreateAsync(name ?? $"t-{Guid.NewGuid():N}"[..14], nameSearch, "test")).Id;

    /// <summary>A token of the tenant's application <c>app</c> (subject <c>app@TENANT</c>), with <paramref name="scopes"/> (default <c>user/*.*</c>).</summary>
    public Task<string> TokenAsync(string tenant, params string[] scopes) => TokenAsync("app", tenant, scopes.Length == 0 ? ["user/*.*"] : scopes);

    /// <summary>A token of the tenant's application <paramref name="app"/> (subject <c>APP@TENANT</c>).</summary>
    public async Task<string> TokenAsync(string app, string tenant, string[] scopes) =>
        (await Server.App.Services.GetRequiredService<TokenDesk>().IssueAsync(new Actor("operator", [Roles.Operator]),
            new TokenRequest(null, Tenant: tenant, Scopes: scopes, App: app))).Secret;

    public string Base(string tenant) => $"{BaseAddress}fhir/{tenant}/";

    public FhirClient Client(string tenant, string token, Action<FhirClientSettings>? configure = null)
    {
        var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var settings = new FhirClientSettings { PreferredFormat = ResourceFormat.Json, VerifyFhirVersion = false };
        configure?.Invoke(settings);
        return new FhirClient(Base(tenant), http, settings);
    }

    public HttpClient Http(string? token = null) => Server.Client(token);

    /// <summary>Posts raw bytes (exactly as a file holds them) as FHIR JSON.</summary>
    public static async Task<HttpResponseMessage> PostRawAsync(HttpClient http, string url, byte[] body, string contentType = "application/fhir+json")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await http.PostAsync(url, content);
    }

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient http, string url, string json) =>
        PostRawAsync(http, url, Encoding.UTF8.GetBytes(json));

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
