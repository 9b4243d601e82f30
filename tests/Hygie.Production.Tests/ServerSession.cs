using Microsoft.Extensions.Configuration;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hygie.Server;
using Hygie.Server.Modules;
using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Builder;

namespace Hygie.Production.Tests;

/// <summary>The real server with every module over a hub, on a free loopback port, and what the tests say to it.</summary>
public sealed class ServerSession : IAsyncDisposable
{
    private ServerSession(Hub hub, WebApplication app, string operatorToken)
    {
        Hub = hub;
        App = app;
        OperatorToken = operatorToken;
        BaseAddress = new Uri(app.Urls.First());
    }

    public Hub Hub { get; }
    public WebApplication App { get; }
    public string OperatorToken { get; }
    public Uri BaseAddress { get; }

    public static async Task<ServerSession> StartAsync(Hub hub, string operatorToken)
    {
        // the webhook receivers of these tests listen on loopback, which a hub refuses unless its operator allows it
        var app = HygieServer.Build(hub, new ServerOptions { Urls = "http://127.0.0.1:0" }, HubModules.All,
            b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Hygie:Fhir:Subscriptions:AllowPrivateNetworks"] = "true" }));
        await app.StartAsync();
        return new ServerSession(hub, app, operatorToken);
    }

    public HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public HttpClient Operator() => Client(OperatorToken);

    public static async Task<JsonElement> Expect(HttpStatusCode expected, HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != expected)
            Assert.Fail($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.PathAndQuery}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Creates an account (its organisation in <paramref name="country"/>) and returns a token for it.</summary>
    public async Task<string> AccountAsync(string name, string role, string? country = "FR")
    {
        using var op = Operator();
        await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/users", new { name, roles = new[] { role }, organisation = "Inserm", displayName = name, country }));
        var issued = await Expect(HttpStatusCode.Created, await op.PostAsJsonAsync("/api/tokens", new { user = name, expiresIn = "30d" }));
        return issued.GetProperty("secret").GetString()!;
    }

    /// <summary>Stops the server; the hub stays open (the caller owns it).</summary>
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
