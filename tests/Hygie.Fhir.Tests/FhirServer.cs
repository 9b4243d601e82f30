using System.Net.Http.Headers;
using System.Text;
using Hl7.Fhir.Rest;
using Hygie.Fhir;
using Hygie.Server.Fhir;
using Hygie.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Fhir.Tests;

/// <summary>The real server (Kestrel on loopback) with the FHIR module, and the clients the tests drive it with.</summary>
public sealed class FhirServer : IAsyncDisposable
{
    private FhirServer(RunningServer server) => Server = server;

    public RunningServer Server { get; }
    public FhirStore Store => Server.App.Services.GetRequiredService<FhirStore>();
    public Uri BaseAddress => Server.BaseAddress;

    public static async Task<FhirServer> StartAsync(FhirOptions? options = null, TimeProvider? clock = null) =>
        new(await RunningServer.StartAsync(clock, [new FhirModule(options ?? new FhirOptions())]));

    public async Task<string> TenantAsync(string? name = null, bool nameSearch = false) =>
        (await Store.Tenants.CreateAsync(name ?? $"t-{Guid.NewGuid():N}"[..14], nameSearch, "test")).Id;

    public async Task<string> TokenAsync(string tenant, params string[] scopes) =>
        (await Server.Hub.Hub.Tokens.IssueAsync($"app-{tenant}", [], null, tenant, scopes.Length == 0 ? ["user/*.*"] : scopes)).Secret;

    public async Task<string> TokenAsync(string subject, string tenant, string[] scopes) =>
        (await Server.Hub.Hub.Tokens.IssueAsync(subject, [], null, tenant, scopes)).Secret;

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
