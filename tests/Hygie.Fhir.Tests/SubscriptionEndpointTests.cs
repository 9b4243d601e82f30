using System.Net;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hygie.Fhir.Alerts;
using Hygie.Fhir.Subscriptions;

namespace Hygie.Fhir.Tests;

/// <summary>
/// A rest-hook Subscription cannot make the hub post to its own host or internal network unless the operator allows
/// private networks: the endpoint is checked when written, and the address its host resolves to at every delivery.
/// </summary>
public sealed class SubscriptionEndpointTests : IAsyncLifetime
{
    private FhirServer _server = null!;
    private WebhookReceiver _receiver = null!;
    private string _tenant = null!;
    private string _token = null!;
    private FhirClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FhirServer.StartAsync(new FhirOptions { WorkerPollInterval = TimeSpan.FromMilliseconds(50) });
        _receiver = await WebhookReceiver.StartAsync();
        _tenant = await _server.TenantAsync();
        _token = await _server.TokenAsync(_tenant);
        _client = _server.Client(_tenant, _token);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _receiver.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static Subscription RestHook(string endpoint) => new()
    {
        Status = Subscription.SubscriptionStatus.Requested,
        Reason = "remote monitoring",
        Criteria = "DetectedIssue",
        Channel = new Subscription.ChannelComponent { Type = Subscription.SubscriptionChannelType.RestHook, Endpoint = endpoint, Payload = "application/fhir+json" },
    };

    [Theory]
    [InlineData("http://127.0.0.1:{port}/hook")]
    [InlineData("http://localhost:{port}/hook")]
    [InlineData("http://[::1]:{port}/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://10.0.0.8/hook")]
    [InlineData("ftp://hooks.example.org/alerts")]
    public async Task Loopback_private_and_non_http_endpoints_are_refused_422(string endpoint)
    {
        var e = await Assert.ThrowsAsync<FhirOperationException>(() => _client.CreateAsync(RestHook(endpoint.Replace("{port}", _receiver.Url.Port.ToString()))));
        Assert.Equal((HttpStatusCode)422, e.Status);
        Assert.Equal("Subscription.channel.endpoint", e.Outcome!.Issue[0].Expression.Single());
        Assert.Equal(0, (await _client.SearchAsync<Subscription>([]))!.Total);
    }

    [Fact]
    public async Task A_host_name_that_resolves_to_a_private_address_is_refused_at_delivery()
    {
        // This machine's own name resolves to one of its addresses (loopback or a private one): never a public address.
        var name = Dns.GetHostName();
        Assert.All(await Dns.GetHostAddressesAsync(name), a => Assert.False(WebhookAddresses.IsPublic(a), $"{name} resolves to a public address: pick another host for this test"));
        var subscription = await _client.CreateAsync(RestHook($"http://{name}:{_receiver.Url.Port}/hook"));
        await _server.Store.Alerts.AddAsync(_tenant, AlertRule.Parse(Encoding.UTF8.GetBytes(
            """{"id":"tachycardia","name":"Heart rate above 120","code":{"system":"http://loinc.org","code":"8867-4"},"condition":{"type":"above","threshold":120},"severity":"high"}""")), "operator");
        var patient = await _client.CreateAsync(new Patient { Active = true });
        await _client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "8867-4"),
            Subject = new ResourceReference($"Patient/{patient!.Id}"),
            Value = new Quantity(150, "/min"),
        });

        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _server.Store.DeliveryPasses.WaitForFullPassAsync(patience.Token);
        Assert.Empty(_receiver.Calls);
        using var http = _server.Http(_token);
        var status = JsonDocument.Parse(await http.GetStringAsync($"/fhir/{_tenant}/Subscription/{subscription!.Id}/$status")).RootElement;
        string Parameter(string p) => status.GetProperty("parameter").EnumerateArray().First(x => x.GetProperty("name").GetString() == p).ToString();
        Assert.Contains("non-public address", Parameter("lastError"));
        Assert.Contains("\"valueCode\":\"error\"", Parameter("status").Replace(" ", ""));
        Assert.DoesNotContain("127.0.", Parameter("lastError"));
    }
}
