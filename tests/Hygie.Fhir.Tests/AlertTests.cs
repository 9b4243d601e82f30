using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;
using Hygie.Fhir.Alerts;
using Hygie.Fhir.Subscriptions;
using Hygie.Testing;

namespace Hygie.Fhir.Tests;

/// <summary>
/// Remote-monitoring alerts: rules evaluated on every Observation written, a DetectedIssue per match, and R4 rest-hook
/// Subscriptions notified — proven by a webhook receiver on loopback (delivery, retries after failures, signature).
/// </summary>
public sealed class AlertTests : IAsyncLifetime
{
    private const string Loinc = "http://loinc.org";
    private FhirServer _server = null!;
    private WebhookReceiver _receiver = null!;
    private string _tenant = null!;
    private FhirClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await FhirServer.StartAsync(new FhirOptions { DeliveryBackoff = TimeSpan.FromMilliseconds(200), WorkerPollInterval = TimeSpan.FromMilliseconds(100) });
        _receiver = await WebhookReceiver.StartAsync();
        _tenant = await _server.TenantAsync();
        _client = _server.Client(_tenant, await _server.TokenAsync(_tenant));
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _receiver.DisposeAsync();
        await _server.DisposeAsync();
    }

    private Task AddRuleAsync(string json) => _server.Store.Alerts.AddAsync(_tenant, AlertRule.Parse(Encoding.UTF8.GetBytes(json)), "operator");

    private async Task<(Subscription Subscription, string Secret)> SubscribeAsync(string criteria)
    {
        var subscription = await _client.CreateAsync(new Subscription
        {
            Status = Subscription.SubscriptionStatus.Requested,
            Reason = "remote monitoring",
            Criteria = criteria,
            Channel = new Subscription.ChannelComponent
            {
                Type = Subscription.SubscriptionChannelType.RestHook,
                Endpoint = _receiver.Url.ToString(),
                Payload = "application/fhir+json",
                Header = ["X-Tenant-Hook: ward-3"],
            },
        });
        Assert.Equal(Subscription.SubscriptionStatus.Active, subscription!.Status);
        var secret = ((FhirString)subscription.GetExtension(SubscriptionService.SecretExtension).Value).Value;
        return (subscription, secret);
    }

    private Task<Observation?> ObserveAsync(string patient, string code, decimal value, string unit, DateTimeOffset? at = null) => _client.CreateAsync(new Observation
    {
        Status = ObservationStatus.Final,
        Code = new CodeableConcept(Loinc, code),
        Subject = new ResourceReference($"Patient/{patient}"),
        Effective = new FhirDateTime(at ?? DateTimeOffset.UtcNow),
        Value = new Quantity(value, unit) { System = "http://unitsofmeasure.org", Code = unit },
    });

    private static string Sign(string secret, string timestamp, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.UTF8.GetBytes(timestamp + "."), .. body]));

    [Fact]
    public async Task A_reading_above_the_threshold_notifies_the_subscriber_within_a_second_signed()
    {
        await AddRuleAsync("""{"id":"tachycardia","name":"Heart rate above 120","code":{"system":"http://loinc.org","code":"8867-4"},"condition":{"type":"above","threshold":120,"unit":"/min"},"severity":"high"}""");
        var (subscription, secret) = await SubscribeAsync("DetectedIssue");
        var patient = await _client.CreateAsync(new Patient { Active = true });

        await ObserveAsync(patient!.Id, "8867-4", 80, "/min");
        var clock = Stopwatch.StartNew();
        var high = await ObserveAsync(patient.Id, "8867-4", 134, "/min");
        Assert.True(await _receiver.WaitForAsync(1, TimeSpan.FromSeconds(5)), "no notification arrived");
        var call = _receiver.Calls.Single();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"the notification took {clock.Elapsed.TotalMilliseconds:F0} ms");

        Assert.Equal(Sign(secret, call.Headers["X-Hygie-Timestamp"], call.Body), call.Headers["X-Hygie-Signature"]);
        Assert.NotEqual(Sign("another secret", call.Headers["X-Hygie-Timestamp"], call.Body), call.Headers["X-Hygie-Signature"]);
        Assert.Equal(subscription.Id, call.Headers["X-Hygie-Subscription"]);
        Assert.Equal("ward-3", call.Headers["X-Tenant-Hook"]);
        var issue = new FhirJsonDeserializer().Deserialize<DetectedIssue>(Encoding.UTF8.GetString(call.Body));
        Assert.Equal($"Patient/{patient.Id}", issue.Patient.Reference);
        Assert.Equal($"Observation/{high!.Id}", issue.Implicated.Single().Reference);
        Assert.Equal(DetectedIssue.DetectedIssueSeverity.High, issue.Severity);
        Assert.Equal("tachycardia", issue.Code.Coding[0].Code);

        // The normal reading raised nothing; the alert is a resource of the tenant.
        await Task.Delay(300);
        Assert.Single(_receiver.Calls);
        var issues = await _client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]);
        Assert.Equal(1, issues!.Total);
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_with_backoff_and_the_status_shows_it()
    {
        await AddRuleAsync("""{"id":"hypoxia","name":"SpO2 below 90","code":{"system":"http://loinc.org","code":"59408-5"},"condition":{"type":"below","threshold":90},"severity":"moderate"}""");
        var (subscription, secret) = await SubscribeAsync("DetectedIssue?code=http://hygie.health/fhir/CodeSystem/alert-rule|hypoxia");
        var patient = await _client.CreateAsync(new Patient { Active = true });
        _receiver.FailNext(1000);
        await ObserveAsync(patient!.Id, "59408-5", 85, "%");

        // While the receiver fails, the Subscription says so.
        Assert.True(await _receiver.WaitForAsync(2, TimeSpan.FromSeconds(10)), "the failed delivery was not retried");
        Subscription? failing = null;
        for (var deadline = DateTime.UtcNow.AddSeconds(5); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            failing = await _client.ReadAsync<Subscription>($"Subscription/{subscription.Id}");
            if (failing!.Status == Subscription.SubscriptionStatus.Error) break;
        }
        Assert.Equal(Subscription.SubscriptionStatus.Error, failing!.Status);
        Assert.Contains("500", failing.Error);

        _receiver.FailNext(0);
        var delivered = false;
        for (var deadline = DateTime.UtcNow.AddSeconds(20); !delivered && DateTime.UtcNow < deadline; await Task.Delay(50))
            delivered = _receiver.Calls.Any(c => c.Answered == 200);
        Assert.True(delivered, "the delivery was not retried until it succeeded");
        var calls = _receiver.Calls.ToArray();
        Assert.Equal(200, calls[^1].Answered);
        Assert.All(calls[..^1], c => Assert.Equal(500, c.Answered));
        // Exponential backoff from 200 ms: 200, 400, 800… between attempts (later under load, never sooner).
        Assert.True(calls[1].At - calls[0].At >= TimeSpan.FromMilliseconds(150), "retried sooner than the backoff");
        if (calls.Length > 2) Assert.True(calls[2].At - calls[1].At >= TimeSpan.FromMilliseconds(350), "the backoff does not grow");
        Assert.All(calls, c => Assert.Equal(Sign(secret, c.Headers["X-Hygie-Timestamp"], c.Body), c.Headers["X-Hygie-Signature"]));
        Assert.Single(calls.Select(c => c.Headers["X-Hygie-Delivery"]).Distinct());

        using var http = _server.Http(await _server.TokenAsync(_tenant));
        JsonElement status = default;
        int Value(string name) => status.GetProperty("parameter").EnumerateArray().First(p => p.GetProperty("name").GetString() == name).GetProperty("valueInteger").GetInt32();
        for (var deadline = DateTime.UtcNow.AddSeconds(5); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            status = JsonDocument.Parse(await http.GetStringAsync($"/fhir/{_tenant}/Subscription/{subscription.Id}/$status")).RootElement;
            if (Value("delivered") == 1) break;
        }
        Assert.Equal(1, Value("delivered"));
        Assert.Equal(calls.Length - 1, Value("failedAttempts"));
        Assert.Equal(0, Value("pending"));
        Assert.Equal(Subscription.SubscriptionStatus.Active, (await _client.ReadAsync<Subscription>($"Subscription/{subscription.Id}"))!.Status);
    }

    [Fact]
    public async Task N_readings_within_a_window_raise_one_alert()
    {
        await AddRuleAsync("""{"id":"hypertension","name":"3 systolic readings above 140 in 24 h","code":{"system":"http://loinc.org","code":"8480-6"},"condition":{"type":"above","threshold":140,"count":3,"window":"PT24H"},"severity":"moderate"}""");
        var patient = await _client.CreateAsync(new Patient { Active = true });
        var start = DateTimeOffset.UtcNow.AddHours(-5);
        await ObserveAsync(patient!.Id, "8480-6", 150, "mm[Hg]", start);
        await ObserveAsync(patient.Id, "8480-6", 120, "mm[Hg]", start.AddHours(1));
        await ObserveAsync(patient.Id, "8480-6", 155, "mm[Hg]", start.AddHours(2));
        Assert.Equal(0, (await _client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]))!.Total);
        await ObserveAsync(patient.Id, "8480-6", 160, "mm[Hg]", start.AddHours(3));
        Assert.Equal(1, (await _client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]))!.Total);
        await ObserveAsync(patient.Id, "8480-6", 170, "mm[Hg]", start.AddHours(4));
        Assert.Equal(1, (await _client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]))!.Total);
    }

    [Fact]
    public async Task Rules_with_unknown_conditions_or_members_are_refused_422_and_duplicates_409()
    {
        using var http = _server.Http(_server.Server.Hub.OperatorToken);
        async Task<HttpStatusCode> Post(string json) =>
            (await http.PostAsync($"/api/fhir/tenants/{_tenant}/alert-rules", new StringContent(json, Encoding.UTF8, "application/json"))).StatusCode;
        const string good = """{"id":"r1","name":"r","code":{"code":"8867-4"},"condition":{"type":"above","threshold":1},"severity":"low"}""";
        Assert.Equal(HttpStatusCode.Created, await Post(good));
        Assert.Equal(HttpStatusCode.Conflict, await Post(good));
        Assert.Equal((HttpStatusCode)422, await Post("""{"name":"r","code":{"code":"x"},"condition":{"type":"greater","threshold":1},"severity":"low"}"""));
        Assert.Equal((HttpStatusCode)422, await Post("""{"name":"r","code":{"code":"x"},"condition":{"type":"above"},"severity":"low"}"""));
        Assert.Equal((HttpStatusCode)422, await Post("""{"name":"r","code":{"code":"x"},"condition":{"type":"absent","period":"one day"},"severity":"low"}"""));
        Assert.Equal((HttpStatusCode)422, await Post("""{"name":"r","code":{"code":"x"},"condition":{"type":"absent","period":"P1D"},"severity":"urgent"}"""));
        Assert.Equal((HttpStatusCode)422, await Post("""{"name":"r","code":{"code":"x"},"condition":{"type":"count","count":2,"window":"PT1H"},"severity":"low","extra":1}"""));
        Assert.Equal(HttpStatusCode.BadRequest, await Post("""{"name":"""));
        Assert.Single(await _server.Store.Alerts.ListAsync(_tenant));
    }

    [Fact]
    public async Task Only_rest_hook_subscriptions_with_evaluable_criteria_are_accepted()
    {
        var websocket = new Subscription
        {
            Status = Subscription.SubscriptionStatus.Requested, Reason = "x", Criteria = "DetectedIssue",
            Channel = new Subscription.ChannelComponent { Type = Subscription.SubscriptionChannelType.Websocket },
        };
        Assert.Equal((HttpStatusCode)422, (await Assert.ThrowsAsync<FhirOperationException>(() => _client.CreateAsync(websocket))).Status);
        websocket.Channel = new Subscription.ChannelComponent { Type = Subscription.SubscriptionChannelType.RestHook, Endpoint = _receiver.Url.ToString() };
        websocket.Criteria = "DetectedIssue?nonsense=1";
        var e = await Assert.ThrowsAsync<FhirOperationException>(() => _client.CreateAsync(websocket));
        Assert.Equal((HttpStatusCode)422, e.Status);
        Assert.Contains("nonsense", e.Outcome!.Issue[0].Diagnostics);
    }
}

/// <summary>"No reading for a period", checked by the background worker against the hub clock.</summary>
public sealed class AbsenceAlertTests
{
    [Fact]
    public async Task No_reading_for_the_period_raises_an_alert_once()
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        await using var server = await FhirServer.StartAsync(new FhirOptions { AbsenceCheckInterval = TimeSpan.FromMilliseconds(100), WorkerPollInterval = TimeSpan.FromMilliseconds(100) }, clock);
        var tenant = await server.TenantAsync();
        await server.Store.Alerts.AddAsync(tenant, AlertRule.Parse("""{"id":"silent-scale","name":"No weight for a day","code":{"system":"http://loinc.org","code":"29463-7"},"condition":{"type":"absent","period":"P1D"},"severity":"low"}"""u8), "operator");
        using var client = server.Client(tenant, await server.TokenAsync(tenant));
        var patient = await client.CreateAsync(new Patient { Active = true });
        await client.CreateAsync(new Observation
        {
            Status = ObservationStatus.Final,
            Code = new CodeableConcept("http://loinc.org", "29463-7"),
            Subject = new ResourceReference($"Patient/{patient!.Id}"),
            Effective = new FhirDateTime(clock.GetUtcNow()),
            Value = new Quantity(81.5m, "kg"),
        });
        async Task<int> Alerts() => (await client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]))!.Total!.Value;

        clock.Advance(TimeSpan.FromHours(23));
        await Task.Delay(400);
        Assert.Equal(0, await Alerts());

        clock.Advance(TimeSpan.FromHours(2));
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (await Alerts() == 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(1, await Alerts());
        var issue = (await client.SearchAsync<DetectedIssue>([$"patient=Patient/{patient.Id}"]))!.Entry.Single().Resource as DetectedIssue;
        Assert.Contains("no reading of 29463-7", issue!.Detail);

        clock.Advance(TimeSpan.FromHours(30));
        await Task.Delay(400);
        Assert.Equal(1, await Alerts());
    }
}
