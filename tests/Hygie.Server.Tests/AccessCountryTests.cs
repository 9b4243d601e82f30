using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hygie.Storage.Audit;
using Hygie.Storage.Operations;
using Hygie.Testing;

namespace Hygie.Server.Tests;

/// <summary>
/// Where an access came from: the country of the account's organisation, or the header of a trusted reverse proxy;
/// accesses from outside the EEA appear in the compliance report and on the public transparency page.
/// </summary>
public sealed class AccessCountryTests
{
    private const string Header = "X-Client-Country";

    private static async Task<RunningServer> StartAsync(string trustedProxies) =>
        await RunningServer.StartAsync(options: new ServerOptions { AccessCountry = new AccessCountryOptions { Header = Header, TrustedProxies = trustedProxies } });

    private static async Task<string> AccountAsync(RunningServer server, string name, string? country)
    {
        using var op = server.Operator();
        var created = await op.PostAsJsonAsync("/api/users", new { name, roles = new[] { "researcher" }, organisation = "Org", country });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(country?.ToUpperInvariant(), (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("country").GetString());
        var issued = await op.PostAsJsonAsync("/api/tokens", new { user = name, expiresIn = "30d" });
        return (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
    }

    private static async Task GetAsync(RunningServer server, string token, string? country = null)
    {
        using var client = server.Client(token);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/projects");
        if (country is not null) request.Headers.Add(Header, country);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
    }

    private static async Task<List<(string Actor, string? Country, string? Source)>> RequestsAsync(RunningServer server) =>
        (await server.Hub.Hub.Audit.QueryAsync(new AuditQuery(ActionPrefix: "http.request", Limit: 1000)))
        .Where(e => e.Actor != "operator")
        .Select(e => (e.Actor, e.Entry.Details!.GetValueOrDefault("country"), e.Entry.Details!.GetValueOrDefault("countrySource"))).ToList();

    [Fact]
    public async Task Accesses_from_a_non_eea_organisation_and_through_a_trusted_proxy_are_reported_and_published()
    {
        await using var server = await StartAsync("127.0.0.1, ::1");
        var wang = await AccountAsync(server, "wang", "CN");
        var marie = await AccountAsync(server, "marie", "fr");

        await GetAsync(server, wang);                 // from the organisation: CN
        await GetAsync(server, marie, country: "US"); // the trusted proxy says US
        await GetAsync(server, marie);                // no header: her organisation's FR

        var requests = await RequestsAsync(server);
        Assert.Contains(("wang", "CN", "organisation"), requests);
        Assert.Contains(("marie", "US", "proxy"), requests);
        Assert.Contains(("marie", "FR", "organisation"), requests);

        var report = (await ComplianceReport.BuildAsync(server.Hub.Hub)).AccessesFromOutsideEea;
        Assert.Equal((2L, 3L), (report.Count, report.AccessesWithKnownCountry));
        Assert.Equal(["CN", "US"], report.ByCountry.Select(c => c.Country).Order());
        Assert.Contains(report.Recent, a => a is { Actor: "wang", Country: "CN", Action: "http.request" });
        Assert.Contains("2 access(es) recorded from outside the EEA", report.Summary);

        using var anonymous = server.Client();
        var published = (await anonymous.GetFromJsonAsync<JsonElement>("/public/transparency")).GetProperty("accessesFromOutsideEea");
        Assert.Equal(2, published.GetProperty("count").GetInt64());
        Assert.Equal(["CN", "US"], published.GetProperty("byCountry").EnumerateArray().Select(c => c.GetProperty("country").GetString()).Order());
        Assert.Empty(published.GetProperty("recent").EnumerateArray()); // no actors in public
    }

    [Fact]
    public async Task The_header_from_an_address_that_is_not_a_trusted_proxy_is_ignored()
    {
        await using var server = await StartAsync("10.9.9.9/32");
        var marie = await AccountAsync(server, "marie", "FR");
        var nobody = await AccountAsync(server, "nobody", null);

        await GetAsync(server, marie, country: "US");
        await GetAsync(server, nobody, country: "RU");

        var requests = await RequestsAsync(server);
        Assert.Contains(("marie", "FR", "organisation"), requests);
        Assert.Contains(("nobody", null, null), requests);
        var report = (await ComplianceReport.BuildAsync(server.Hub.Hub)).AccessesFromOutsideEea;
        Assert.Equal((0L, 1L), (report.Count, report.AccessesWithKnownCountry));
        Assert.Empty(report.Recent);
    }

    [Theory]
    [InlineData("US", null, "is '")]
    [InlineData("US", "10.0.0.0/33", "neither an address nor a CIDR range")]
    public void A_header_without_valid_trusted_proxies_is_refused_at_start(string header, string? proxies, string message)
    {
        var e = Assert.Throws<Core.Errors.HubStateException>(() => new AccessCountryOptions { Header = header, TrustedProxies = proxies }.Validate());
        Assert.Contains(message, e.Message);
    }
}
